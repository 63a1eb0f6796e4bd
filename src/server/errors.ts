/**
 * HTTP error bodies: every non-2xx answer is `{ error: { code, message, field? } }` (docs/api.md#errors).
 * Maps rlhfkit errors, Fastify's validation/parsing errors and unknown failures to a status and that body.
 */
import type { ErrorCode } from '../core/errors.js';
import { RlhfError } from '../core/errors.js';
import { FieldError } from '../feedback/validate.js';

export interface ErrorBody {
  error: { code: ErrorCode; message: string; field?: string };
}

/** An error raised by a route handler with an explicit status. */
export class HttpError extends RlhfError {
  readonly status: number;
  readonly field: string | undefined;
  constructor(status: number, code: ErrorCode, message: string, field?: string) {
    super(code, message);
    this.status = status;
    this.field = field;
  }
}

const STATUS_OF: Partial<Record<ErrorCode, number>> = {
  E_REQUEST: 400,
  E_FEEDBACK: 400,
  E_CONFIG: 400,
  E_DATA: 400,
  E_USAGE: 400,
  E_AUTH: 403,
  E_NOT_FOUND: 404,
  E_CONFLICT: 409,
  // the store cannot take the write now (its file was deleted, it is read-only, the database is down): the
  // request may succeed later or on another replica; it is never acknowledged as if it had been kept
  E_STORE: 503,
};

interface AjvError {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

/** "/judgement/preferred" + missing "x" → "judgement.preferred.x" */
function fieldOfAjv(e: AjvError): string {
  const parts = e.instancePath.split('/').filter((p) => p !== '').map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  const extra = (e.params.missingProperty ?? e.params.additionalProperty ?? e.params.propertyName) as string | undefined;
  if (extra !== undefined && e.keyword !== 'propertyNames') parts.push(String(extra));
  if (e.keyword === 'discriminator' && typeof e.params.tag === 'string') parts.push(e.params.tag);
  return parts.join('.');
}

function describeAjv(e: AjvError, field: string): string {
  const where = field === '' ? 'the value' : field;
  switch (e.keyword) {
    case 'required':
      return `${where} is required`;
    case 'additionalProperties':
      return `${where} is not a known field`;
    case 'enum':
      return `${where} must be one of ${(e.params.allowedValues as unknown[]).join(', ')}`;
    case 'discriminator':
      return `${where} must be one of rating, comparison, ranking, correction`;
    default:
      return `${where} ${e.message ?? 'is invalid'}`;
  }
}

/** Status and body for any error thrown while handling a request. */
export function errorResponse(err: unknown): { status: number; body: ErrorBody; internal: boolean } {
  if (err instanceof HttpError) {
    const body: ErrorBody = { error: { code: err.code, message: err.message } };
    if (err.field !== undefined) body.error.field = err.field;
    return { status: err.status, body, internal: false };
  }
  const e = err as { validation?: AjvError[]; validationContext?: string; statusCode?: number; code?: string; message?: string };
  if (Array.isArray(e.validation) && e.validation.length > 0) {
    const first = e.validation[0]!;
    const inner = fieldOfAjv(first);
    const prefix = e.validationContext === 'params' ? 'params' : e.validationContext === 'querystring' ? 'query' : '';
    const field = prefix === '' ? inner : inner === '' ? prefix : `${prefix}.${inner}`;
    const body: ErrorBody = { error: { code: 'E_REQUEST', message: describeAjv(first, field === '' ? 'body' : field) } };
    body.error.field = field === '' ? 'body' : field;
    return { status: 400, body, internal: false };
  }
  if (err instanceof FieldError) {
    return { status: 400, body: { error: { code: err.code, message: err.message, field: err.field } }, internal: false };
  }
  if (err instanceof RlhfError) {
    const status = STATUS_OF[err.code] ?? 500;
    return { status, body: { error: { code: err.code, message: err.message } }, internal: status >= 500 };
  }
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    // Fastify's own: bad JSON (400), body too large (413), unsupported media type (415), ...
    return { status: e.statusCode, body: { error: { code: 'E_REQUEST', message: e.message ?? 'bad request' } }, internal: false };
  }
  return {
    status: 500,
    body: { error: { code: 'E_INTERNAL', message: `internal error: ${e.message ?? String(err)} (please report this as a bug)` } },
    internal: true,
  };
}
