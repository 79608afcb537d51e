/**
 * `nimbus up --metrics-port`: the node's metrics WITHOUT authentication, on a port of their own,
 * for a Prometheus scraper in a trusted network (bind it where only the scraper reaches it).
 * Only `GET /metrics` is answered; everything else is 404.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { NodeMetrics } from './metrics.js';

export class MetricsServer {
  private readonly server: Server;

  constructor(metrics: Pick<NodeMetrics, 'scrape' | 'contentType'>) {
    this.server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      req.resume();
      if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('only GET /metrics is served here\n');
        return;
      }
      metrics.scrape().then(
        (text) => res.writeHead(200, { 'content-type': metrics.contentType, 'cache-control': 'no-store' }).end(req.method === 'HEAD' ? undefined : text),
        (err: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics failed: ${String(err)}\n`),
      );
    });
  }

  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve((this.server.address() as AddressInfo).port);
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}
