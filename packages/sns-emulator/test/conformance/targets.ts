import { conformanceTarget, startMoto } from '@eventline/test-kit';
import { startSnsServer } from '../../src/index.ts';
import type { Target } from './cases.ts';

/** An endpoint to run the cases against, and how to stop it. */
export interface Endpoint {
  url: string;
  close(): Promise<void>;
}

export const targetFromEnv = (): Target => conformanceTarget(['emulator', 'moto']);

export async function startTarget(target: Target): Promise<Endpoint> {
  if (target === 'moto') return startMoto();
  const server = await startSnsServer({ region: 'us-east-1' });
  return { url: server.url, close: () => server.close() };
}
