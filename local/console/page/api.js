// The page's one way out: calls to the console's own /api/, with the per-run token from the page's path.

const token = location.pathname.split('/')[1] ?? '';

/** A failed call, with the API's own message. */
export class ApiError extends Error {}

export async function api(method, path, body) {
  const headers = { 'x-keyless-console-token': token };
  if (body !== undefined) headers['content-type'] = 'application/json';
  let response;
  try {
    response = await fetch(`/api${path}`, {
      method,
      headers,
      cache: 'no-store',
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch {
    throw new ApiError('The console did not answer: is keyless console still running?');
  }
  const text = await response.text();
  let data;
  try {
    data = text ? JSON.parse(text) : undefined;
  } catch {
    data = undefined;
  }
  if (!response.ok) {
    const issues = Array.isArray(data?.issues)
      ? data.issues.map((issue) => `${issue.path}: ${issue.message}`).join('; ')
      : '';
    const message = data?.message ?? (text || response.statusText);
    throw new ApiError(`${response.status}: ${message}${issues ? ` (${issues})` : ''}`);
  }
  return data;
}
