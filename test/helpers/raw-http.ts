// HTTP/1.1 over a bare socket, for requests fetch() refuses to send (a malformed Host header, bytes
// a client library would fix up). One request per connection; the answer is read until the server
// closes it (`Connection: close`).
import net from 'node:net';

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export function parseRawResponse(text: string): RawResponse {
  const end = text.indexOf('\r\n\r\n');
  const head = end < 0 ? text : text.slice(0, end);
  const [statusLine, ...lines] = head.split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const i = line.indexOf(':');
    if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  return { status: Number(statusLine.split(' ')[1]), headers, body: end < 0 ? '' : text.slice(end + 4) };
}

/** Sends `head` (request line and headers, CRLF-separated, without the blank line) and `body`. */
export function rawRequest(url: string, head: string[], body: string | Buffer = ''): Promise<RawResponse> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname);
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', reject);
    socket.on('close', () => resolve(parseRawResponse(Buffer.concat(chunks).toString('utf8'))));
    const lines = [...head, 'Connection: close'];
    if (body.length) lines.push(`Content-Length: ${Buffer.byteLength(body)}`);
    // write, not end: a client that half-closes gets no answer from Node's server (httpAllowHalfOpen)
    socket.write(Buffer.concat([Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'latin1'), Buffer.from(body)]));
  });
}
