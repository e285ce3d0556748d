/** Whether `text` is an absolute http(s) URL (what the API accepts for a webhook endpoint). */
export function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === "http:" || url.protocol === "https:";
  } catch {
    return false;
  }
}
