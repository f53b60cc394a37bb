// Credentials never reach logs, --print-config or error messages.

/** `scheme://user:password@host…` → `scheme://user:***@host…`; text without credentials is returned as is. */
export function redactUrl(text: string): string {
  if (!text.includes('@')) return text;
  try {
    const url = new URL(text);
    if (url.password === '') return text;
    url.password = '***';
    return url.toString();
  } catch {
    return text.replace(/:[^:@/]*@/, ':***@');
  }
}

/** Userinfo with a password inside a URL somewhere in free text: `scheme://user:` kept, the password masked. */
const URL_PASSWORD_RE = /([a-z][a-z0-9+.-]*:\/\/[^\s/@:"']*):[^\s/@"']*@/gi;

/** Every `scheme://user:password@` in `text` → `scheme://user:***@` (error messages that quote a URL). */
export function redactUrls(text: string): string {
  return text.includes('@') ? text.replace(URL_PASSWORD_RE, '$1:***@') : text;
}
