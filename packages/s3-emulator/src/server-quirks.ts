/**
 * What S3 does where Node's HTTP server would answer by itself: a request with an `Expect` header
 * other than `100-continue` is served (Node answers 417 Expectation Failed; S3 ignores the header),
 * and a request the HTTP parser rejects (a body longer than its Content-Length, a malformed line) gets
 * S3's XML error body (`BadRequest`) instead of Node's bare `400 Bad Request`.
 */
import { randomBytes } from 'node:crypto';
import type { Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { renderXml } from './xml.ts';

/** The response each socket is still writing: a parse error after it is answered once it is done. */
const inFlight = new WeakMap<Duplex, ServerResponse>();

/** Writes S3's answer to a request Node's parser rejected, and closes the connection. */
export function answerClientError(error: Error & { code?: string }, socket: Duplex): void {
  const pending = inFlight.get(socket);
  if (pending && !pending.writableFinished && !socket.destroyed) {
    pending.once('finish', () => answerClientError(error, socket));
    pending.once('close', () => socket.destroy());
    return;
  }
  if (!socket.writable || (error.code === 'ECONNRESET' && socket.destroyed)) {
    socket.destroy();
    return;
  }
  const timeout = error.code === 'ERR_HTTP_REQUEST_TIMEOUT';
  const body = renderXml('Error', [
    ['Code', timeout ? 'RequestTimeout' : 'BadRequest'],
    [
      'Message',
      timeout
        ? 'Your socket connection to the server was not read from or written to within the timeout period.'
        : 'An error occurred when parsing the HTTP request.',
    ],
    ['RequestId', randomBytes(8).toString('hex').toUpperCase()],
    ['HostId', randomBytes(24).toString('base64')],
  ]);
  socket.end(
    `HTTP/1.1 400 Bad Request\r\ncontent-type: application/xml\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}

/** Makes `server` answer as S3 where Node would answer by itself (see above). */
export function installS3ServerQuirks(server: Server): void {
  server.prependListener('request', (req, res) => {
    inFlight.set(req.socket, res);
    res.once('finish', () => {
      if (inFlight.get(req.socket) === res) inFlight.delete(req.socket);
    });
  });
  server.on('checkExpectation', (req, res) => server.emit('request', req, res));
  server.on('clientError', answerClientError);
}
