/**
 * The desktop page's Content-Security-Policy. App frames are srcdoc documents, which inherit
 * it on top of their own CSP, so it is also the outer bound of every app and of the stream
 * shell, one that nothing inside a frame can lift: nothing is loaded or contacted but this
 * origin, and `frame-src 'none'` keeps every frame on its srcdoc (a frame that navigates
 * itself, by `location`, a link, a refresh or a form, is refused). Inline and eval'd scripts
 * are allowed because apps are inline documents that inherit this policy.
 */
export const DESKTOP_CSP = [
  "default-src 'self'",
  "script-src 'self' 'unsafe-inline' 'unsafe-eval'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "media-src 'self' data: blob:",
  "connect-src 'self'",
  "frame-src 'none'",
  "worker-src 'none'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');
