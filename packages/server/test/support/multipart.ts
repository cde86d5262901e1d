/** Builds a multipart/form-data body the way a browser does, for `inject()` calls. */
export async function multipartBody(
  fields: Record<string, string>,
  file: { field: string; name: string; type: string; bytes: Uint8Array },
): Promise<{ headers: Record<string, string>; payload: Buffer }> {
  const form = new FormData();
  for (const [key, value] of Object.entries(fields)) form.append(key, value);
  form.append(file.field, new Blob([file.bytes], { type: file.type }), file.name);
  const request = new Request("http://localhost/", { method: "POST", body: form });
  return {
    headers: { "content-type": request.headers.get("content-type")! },
    payload: Buffer.from(await request.arrayBuffer()),
  };
}
