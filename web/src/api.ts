/** A problem (RFC 9457) the API answered, with the field errors it names. */
export class ApiProblem extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** Field errors: JSON pointer-ish field (`/url`, `body/url`) to message. */
    readonly fields: Record<string, string>,
  ) {
    super(message);
  }
}

/** The connection failed (offline, server down): not the user's input. */
export class ConnectionLost extends Error {}

interface ProblemBody {
  code?: string;
  detail?: string;
  title?: string;
  errors?: { field?: string; message?: string }[];
}

/** Calls the JSON API; throws ApiProblem for 4xx/5xx and ConnectionLost when nothing answered. */
export async function api<T>(method: string, path: string, body?: unknown, token?: string): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers: {
        accept: 'application/json',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
      },
      credentials: 'same-origin',
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch {
    throw new ConnectionLost('The server cannot be reached. Check your connection; we will try again when you resubmit.');
  }
  const text = await res.text();
  const json = text === '' ? undefined : (JSON.parse(text) as unknown);
  if (!res.ok) {
    const p = (json ?? {}) as ProblemBody;
    const fields: Record<string, string> = {};
    for (const e of p.errors ?? []) if (e.field && e.message) fields[e.field.replace(/^body\//, '/').replace(/^\/?/, '/')] = e.message;
    throw new ApiProblem(res.status, p.code ?? 'error', p.detail ?? p.title ?? `The server answered ${res.status}`, fields);
  }
  return json as T;
}
