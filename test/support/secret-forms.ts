/**
 * The forms a secret takes on its way into a log line besides its raw text: percent-encoded (a URL, a form body;
 * `!` becomes `%21`, a space `+`), base64 and base64url (a header, a cookie, a JSON-in-base64 blob), and
 * JSON-escaped (a string inside a string). A log scan that looks only for the raw text misses all of them.
 */
export function encodedForms(secret: string): string[] {
  const base64 = Buffer.from(secret).toString('base64');
  const forms = [
    secret,
    encodeURIComponent(secret),
    new URLSearchParams({ x: secret }).toString().slice(2),
    base64,
    base64.replace(/=+$/, ''),
    Buffer.from(secret).toString('base64url'),
    JSON.stringify(secret).slice(1, -1),
    JSON.stringify(JSON.stringify(secret)).slice(1, -1),
  ];
  return [...new Set(forms)];
}
