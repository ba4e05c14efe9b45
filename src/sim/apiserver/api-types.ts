import type { UserInfo } from './user-info.js';

/** A request as the apiserver core sees it, whether it came over HTTPS or in-process. */
export interface ApiRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  contentType?: string;
  accept?: string;
  userAgent?: string;
  /** Raw body as received over HTTP. */
  body?: Buffer | string;
  /**
   * Reads the body when the request is admitted: a request waiting for its body already
   * holds an inflight slot, as with the real max-inflight filter.
   */
  readBody?: () => Promise<Buffer>;
  /** An already-decoded body from an in-process caller; the handler may take ownership. */
  object?: unknown;
  /** `component` label of request metrics (which client made it). */
  component?: string;
  /** Who sent it (after authentication and impersonation); anonymous when absent. */
  user?: UserInfo;
}

export interface ApiResponse {
  status: number;
  headers: Record<string, string>;
  /** JSON text, or bytes for the few binary documents (protobuf OpenAPI). */
  body: string | Buffer;
}

/** The streaming side of a watch response. */
export interface StreamSink {
  start(headers: Record<string, string>): void;
  /** Writes one chunk; returns false when the client is too far behind to keep up. */
  write(chunk: string): boolean;
  end(): void;
  onClose(cb: () => void): void;
}

export function jsonResponse(status: number, body: string, headers: Record<string, string> = {}): ApiResponse {
  return { status, headers: { 'Content-Type': 'application/json', ...headers }, body };
}
