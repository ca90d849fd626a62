import { defineConfig } from '@eventline/config/define';

/**
 * Recipe "uploads": content moderation's front door. Users upload any file (an image, a PDF, a
 * video) from a browser with a presigned POST; each upload becomes one ledger item of its metadata:
 * size, SHA-256, the content type detected from its bytes (not the browser's claim), image
 * dimensions, user metadata. Every upload publishes a notification whose message attributes carry
 * the route, status and detected content type, so moderation queues subscribe with filter policies:
 * images to one queue, PDFs to another, failures to a third. Try it: examples/uploads/README.md.
 */
export default defineConfig({
  routes: [{ id: 'uploads', prefix: 'uploads/', suffix: '', format: 'object' }],
  topic: {
    subscriptions: [
      {
        protocol: 'sqs',
        queue: 'moderate-images',
        filterPolicy: { route: ['uploads'], status: ['PROCESSED'], contentType: [{ prefix: 'image/' }] },
      },
      {
        protocol: 'sqs',
        queue: 'review-documents',
        filterPolicy: { route: ['uploads'], status: ['PROCESSED'], contentType: ['application/pdf'] },
      },
      { protocol: 'sqs', queue: 'upload-failures', filterPolicy: { route: ['uploads'], status: ['FAILED'] } },
    ],
  },
  alarms: { notify: 'nowhere' },
});
