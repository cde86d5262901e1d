import { PAGE_STYLE, escapeHtml } from "./html.js";

/** What the status page shows. */
export interface StatusPageInfo {
  version: string;
  root: string;
  queueId: string;
}

/** The page served at `/` until the web UI exists: what is running, links to the docs and the live queue status. */
export function renderStatusPage(info: StatusPageInfo): string {
  const statusUrl = `/api/v1/queue/${encodeURIComponent(info.queueId)}/status`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Atelier ${escapeHtml(info.version)}</title><style>${PAGE_STYLE}</style></head>
<body>
<h1>Atelier ${escapeHtml(info.version)} is running</h1>
<p>A node engine for image generation with InvokeAI's Invocation API. This process serves the HTTP API, the
socket.io events at <code>/ws/socket.io</code>, and runs the queue.</p>
<table>
<tr><th>Root folder</th><td><code>${escapeHtml(info.root)}</code></td></tr>
<tr><th>API</th><td><a href="/docs">/docs</a> (reference) · <a href="/openapi.json">/openapi.json</a></td></tr>
<tr><th>Queue</th><td><a href="${escapeHtml(statusUrl)}">${escapeHtml(statusUrl)}</a></td></tr>
</table>
<h2>Queue status</h2>
<pre id="status">loading…</pre>
<script>
async function refresh(){
  try{const r=await fetch(${JSON.stringify(statusUrl)});document.getElementById("status").textContent=JSON.stringify(await r.json(),null,2);}
  catch(e){document.getElementById("status").textContent="unavailable: "+e;}
}
refresh();setInterval(refresh,2000);
</script>
</body></html>`;
}
