/** Where discussions live: /labs/:lab/history/:analysisId, a channel's thread with ?layer=&channel=. */
export const discussionHref = (lab: string, analysisId: string, ref?: { layer: string; channel: number }) =>
  `/labs/${encodeURIComponent(lab)}/history/${encodeURIComponent(analysisId)}${ref ? `?layer=${encodeURIComponent(ref.layer)}&channel=${ref.channel}#channel` : ''}`;
