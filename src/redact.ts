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
