import { PAGE_STYLE } from "./html.js";

/**
 * The `/docs` page: renders `/openapi.json` in the browser (operations by tag with their parameters, bodies and
 * responses, then every node type). Self-contained, so it works without internet access.
 */
export function renderDocsPage(title: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${title} API</title><style>${PAGE_STYLE}</style></head>
<body>
<h1>${title} API</h1>
<p>Generated from <a href="/openapi.json">/openapi.json</a>. Events: socket.io at <code>/ws/socket.io</code>
(emit <code>subscribe_queue {"queue_id":"default"}</code>).</p>
<div id="ops">loading…</div>
<h2>Nodes</h2>
<div id="nodes"></div>
<script>
const esc=(s)=>String(s).replace(/[&<>"']/g,(c)=>({"&":"&amp;","<":"&lt;",">":"&gt;",'"':"&quot;","'":"&#39;"}[c]));
const ref=(s)=>s&&s.$ref?s.$ref.split("/").pop():null;
function typeOf(s){
  if(!s)return"any";const r=ref(s);if(r)return r;
  if(s.anyOf)return s.anyOf.map(typeOf).join(" | ");
  if(s.enum)return s.enum.map((v)=>JSON.stringify(v)).join(" | ");
  if(s.type==="array")return typeOf(s.items)+"[]";
  return s.type||"any";
}
function schemaBlock(label,s){return s?'<details><summary>'+esc(label)+': <code>'+esc(typeOf(s))+'</code></summary><pre>'+esc(JSON.stringify(s,null,2))+'</pre></details>':"";}
(async()=>{
  const doc=await (await fetch("/openapi.json")).json();
  const byTag={};
  for(const [path,ops] of Object.entries(doc.paths))for(const [m,op] of Object.entries(ops))(byTag[(op.tags||["other"])[0]] ??= []).push({m:m.toUpperCase(),path,op});
  let html="";
  for(const [tag,list] of Object.entries(byTag)){
    html+="<h2>"+esc(tag)+"</h2>";
    for(const {m,path,op} of list){
      html+='<details><summary><span class="m '+m+'">'+m+"</span><code>"+esc(path)+"</code> — "+esc(op.summary||"")+"</summary>";
      if(op.description)html+="<p>"+esc(op.description)+"</p>";
      if(op.parameters){html+="<table><tr><th>parameter</th><th>in</th><th>type</th><th>required</th></tr>";
        for(const p of op.parameters)html+="<tr><td><code>"+esc(p.name)+"</code></td><td>"+esc(p.in)+"</td><td><code>"+esc(typeOf(p.schema))+"</code></td><td>"+(p.required?"yes":"")+"</td></tr>";
        html+="</table>";}
      if(op.requestBody)for(const [ct,c] of Object.entries(op.requestBody.content))html+=schemaBlock("body ("+ct+")",c.schema);
      for(const [code,r] of Object.entries(op.responses||{}))for(const [ct,c] of Object.entries(r.content||{}))html+=schemaBlock(code+" ("+ct+")",c.schema);
      html+="</details>";
    }
  }
  document.getElementById("ops").innerHTML=html;
  const nodes=Object.entries(doc.components.schemas).filter(([,s])=>s.class==="invocation").sort((a,b)=>a[0].localeCompare(b[0]));
  let nh="<p>"+nodes.length+" node types.</p>";
  for(const [name,s] of nodes){
    const type=s.properties&&s.properties.type&&s.properties.type.default;
    nh+="<details><summary><code>"+esc(type)+"</code> — "+esc(s.title||name)+" <small>("+esc(s.category||"")+", v"+esc(s.version||"")+")</small></summary>";
    nh+="<table><tr><th>input</th><th>type</th><th>kind</th><th>default</th></tr>";
    for(const [f,p] of Object.entries(s.properties||{})){if(p.field_kind!=="input")continue;
      nh+="<tr><td><code>"+esc(f)+"</code></td><td><code>"+esc(typeOf(p))+"</code></td><td>"+esc(p.input||"")+"</td><td>"+esc(p.orig_default===undefined?"":JSON.stringify(p.orig_default))+"</td></tr>";}
    nh+="</table>output: <code>"+esc(ref(s.output)||"")+"</code></details>";
  }
  document.getElementById("nodes").innerHTML=nh;
})().catch((e)=>{document.getElementById("ops").textContent="Could not load /openapi.json: "+e;});
</script>
</body></html>`;
}
