/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c,
  );
}

/** Shared page style: small, readable, no external assets (the server may have no internet). */
export const PAGE_STYLE = `
body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:60rem;padding:0 1rem;color:#222;background:#fafafa}
h1{font-size:1.6rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ddd}code,pre{font-family:ui-monospace,monospace;font-size:.85rem}
pre{background:#f0f0f0;padding:.5rem;overflow:auto}a{color:#0b62c4}table{border-collapse:collapse}td,th{padding:.2rem .6rem;text-align:left;border-bottom:1px solid #eee}
.m{display:inline-block;min-width:4.5rem;font-weight:600}.GET{color:#0a7}.POST{color:#06c}.PUT{color:#a60}.PATCH{color:#a0a}.DELETE{color:#c22}.HEAD{color:#777}
details{margin:.3rem 0}summary{cursor:pointer}
`;
