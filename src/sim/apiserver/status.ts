/**
 * metav1.Status errors with the reasons, codes and wording of the real apiserver
 * (k8s.io/apimachinery/pkg/api/errors), so clients branch on them exactly as they would
 * against a real cluster.
 */

export interface StatusCause {
  reason: string;
  message: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure' | 'Success';
  message: string;
  reason: string;
  details?: StatusDetails;
  code: number;
}

export class ApiError extends Error {
  readonly headers: Record<string, string>;
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: StatusDetails,
    headers: Record<string, string> = {},
  ) {
    super(message);
    this.headers = headers;
  }

  toStatus(): Status {
    const s: Status = {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      code: this.code,
    };
    if (this.details) s.details = this.details;
    return s;
  }
}

/** A resource as errors name it: `pods`, `deployments.apps`. */
export interface GroupResource {
  group: string;
  resource: string;
}

function qualified(gr: GroupResource): string {
  return gr.group ? `${gr.resource}.${gr.group}` : gr.resource;
}

function details(gr: GroupResource, name: string): StatusDetails {
  // Go's omitempty: an object without a name yet has none in the details.
  const d: StatusDetails = name ? { name, kind: gr.resource } : { kind: gr.resource };
  if (gr.group) d.group = gr.group;
  return d;
}

export const errors = {
  notFound(gr: GroupResource, name: string): ApiError {
    return new ApiError(404, 'NotFound', `${qualified(gr)} "${name}" not found`, details(gr, name));
  },
  alreadyExists(gr: GroupResource, name: string): ApiError {
    return new ApiError(409, 'AlreadyExists', `${qualified(gr)} "${name}" already exists`, details(gr, name));
  },
  conflict(gr: GroupResource, name: string, why: string): ApiError {
    return new ApiError(
      409,
      'Conflict',
      `Operation cannot be fulfilled on ${qualified(gr)} "${name}": ${why}`,
      details(gr, name),
    );
  },
  staleUpdate(gr: GroupResource, name: string): ApiError {
    return errors.conflict(
      gr,
      name,
      'the object has been modified; please apply your changes to the latest version and try again',
    );
  },
  invalid(kind: string, group: string, name: string, causes: StatusCause[]): ApiError {
    const list = causes.map((c) => (c.field ? `${c.field}: ${c.message}` : c.message));
    const summary = list.length === 1 ? list[0]! : `[${list.join(', ')}]`;
    const d: StatusDetails = name ? { name, kind, causes } : { kind, causes };
    if (group) d.group = group;
    return new ApiError(422, 'Invalid', `${kind}${group ? `.${group}` : ''} "${name}" is invalid: ${summary}`, d);
  },
  /** A request option that fails validation (ListOptions, PatchOptions...): 422, as the real handlers answer. */
  invalidOptions(kind: 'ListOptions' | 'CreateOptions' | 'UpdateOptions' | 'PatchOptions' | 'DeleteOptions', cause: StatusCause): ApiError {
    return errors.invalid(kind, 'meta.k8s.io', '', [cause]);
  },
  badRequest(message: string): ApiError {
    return new ApiError(400, 'BadRequest', message);
  },
  forbidden(gr: GroupResource, name: string, why: string, cause?: StatusCause): ApiError {
    const d = details(gr, name);
    if (cause) d.causes = [cause];
    // apierrors.NewForbidden: an object without a name yet (generateName) is not quoted.
    const subject = name ? `${qualified(gr)} "${name}"` : qualified(gr);
    return new ApiError(403, 'Forbidden', `${subject} is forbidden: ${why}`, d);
  },
  methodNotAllowed(): ApiError {
    return new ApiError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource', {});
  },
  notAcceptable(): ApiError {
    return new ApiError(406, 'NotAcceptable', 'only the following media types are accepted: application/json');
  },
  /** A body the server cannot decode; `why` (a protobuf decoding error) is the sim's own addition. */
  unsupportedMediaType(why?: string): ApiError {
    return new ApiError(
      415,
      'UnsupportedMediaType',
      `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf${why ? ` (${why})` : ''}`,
    );
  },
  /** A PATCH whose Content-Type is none of the patch types. */
  unsupportedPatchType(): ApiError {
    return new ApiError(415, 'UnsupportedMediaType', '415: Unsupported Media Type', {});
  },
  expired(message: string): ApiError {
    return new ApiError(410, 'Expired', message);
  },
  gone(message: string): ApiError {
    return new ApiError(410, 'Gone', message);
  },
  unauthorized(): ApiError {
    return new ApiError(401, 'Unauthorized', 'Unauthorized');
  },
  serverNotFound(): ApiError {
    return new ApiError(404, 'NotFound', 'the server could not find the requested resource');
  },
  /**
   * NewGenericServerResponse(422): what the real server answers for a JSON patch that fails
   * against the object (a failed test, a missing path); its own message is not passed on.
   */
  patchNotApplicable(): ApiError {
    return new ApiError(422, 'Invalid', 'the server rejected our request due to an error in our request', {});
  },
  /** storage.NewTooLargeResourceVersionError: the cache did not reach the version in time. */
  tooLargeResourceVersion(requested: number, current: number): ApiError {
    return new ApiError(
      504,
      'Timeout',
      `Timeout: Too large resource version: ${requested}, current: ${current}`,
      { retryAfterSeconds: 1, causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }] },
      { 'Retry-After': '1' },
    );
  },
  internal(message: string): ApiError {
    return new ApiError(500, 'InternalError', `Internal error occurred: ${message}`, {
      causes: [{ reason: '', message }],
    });
  },
  serviceUnavailable(message: string): ApiError {
    return new ApiError(503, 'ServiceUnavailable', message);
  },
};

export function successStatus(gr: GroupResource, name: string, uid?: string): Record<string, unknown> {
  const d: StatusDetails = details(gr, name);
  if (uid) d.uid = uid;
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: d };
}
