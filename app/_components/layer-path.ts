/**
 * Addresses of the layer and channel pages. Layer names come from the model
 * and may hold any character: PyTorch exports (`/features/features.0/Conv`),
 * TF.js (`block1/conv2d`), `<`, `(`, `"`, spaces, `%`. A name is one path
 * segment, encoded with encodeURIComponent (so `/` travels as `%2F`).
 * Next.js hands pages their dynamic params percent-encoded again, whatever
 * the browser sent, so a page decodes its `layer` param exactly once with
 * layerFromParam. (Route handlers receive it decoded already.)
 */

/** A layer name as one path segment. */
export function layerSegment(layer: string): string {
  return encodeURIComponent(layer);
}

export function layerPageHref(lab: string, analysisId: string, layer: string): string {
  return `/labs/${lab}/analyses/${analysisId}/layers/${layerSegment(layer)}`;
}

export function channelPageHref(lab: string, analysisId: string, layer: string, channel: number | string): string {
  return `${layerPageHref(lab, analysisId, layer)}/channels/${channel}`;
}

/** The API base of a layer (strip, samples, artifacts): the same one-segment encoding. */
export function layerApiBase(lab: string, analysisId: string, layer: string): string {
  return `/api/v1/labs/${lab}/analyses/${analysisId}/layers/${layerSegment(layer)}`;
}

/** The layer name from a page's `layer` param; null when it is not valid percent-encoding (the page answers 404). */
export function layerFromParam(raw: string): string | null {
  try {
    return decodeURIComponent(raw);
  } catch {
    return null;
  }
}
