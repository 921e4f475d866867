'use client';

import { useCallback, useEffect, useRef, useState, type RefObject } from 'react';
import { parseAnalysisForm, type FormContext } from './form-spec';

/** What POST /api/v1/labs/:lab/analyses/estimate answers (lib/server/analysis-create.ts estimateAnalysis). */
interface EstimateView {
  estimate: { summary: string; cpuHours: number };
  maxCpuHoursPerAnalysis: number;
  allowed: boolean;
  refusal: string | null;
}

export type EstimateState = { kind: 'idle' } | { kind: 'loading' } | { kind: 'ok'; view: EstimateView } | { kind: 'error'; error: string };

/**
 * The cost estimate of what the form holds: asked again 400 ms after the last
 * change (call refreshEstimate on every change); an answer to an older state
 * of the form is dropped. An invalid form shows no estimate: its fields say why.
 */
export function useCostEstimate(lab: string, formRef: RefObject<HTMLFormElement | null>, ctxRef: RefObject<FormContext>) {
  const [estimate, setEstimate] = useState<EstimateState>({ kind: 'idle' });
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const seq = useRef(0);
  const refreshEstimate = useCallback(() => {
    clearTimeout(timer.current);
    timer.current = setTimeout(async () => {
      if (!formRef.current) return;
      const parsed = parseAnalysisForm(new FormData(formRef.current), ctxRef.current);
      const mine = ++seq.current;
      if (!parsed.body) {
        setEstimate({ kind: 'idle' });
        return;
      }
      setEstimate((e) => (e.kind === 'ok' ? e : { kind: 'loading' }));
      try {
        const res = await fetch(`/api/v1/labs/${encodeURIComponent(lab)}/analyses/estimate`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(parsed.body),
        });
        const json = await res.json();
        if (mine !== seq.current) return;
        setEstimate(res.ok ? { kind: 'ok', view: json as EstimateView } : { kind: 'error', error: String(json.error ?? res.statusText) });
      } catch {
        if (mine === seq.current) setEstimate({ kind: 'error', error: 'the estimate is not available right now' });
      }
    }, 400);
  }, [lab, formRef, ctxRef]);
  useEffect(() => () => clearTimeout(timer.current), []);
  return { estimate, refreshEstimate };
}

/** The estimate in one line; past the lab's CPU-hours limit, the refusal queueing would give. */
export function EstimateLine({ state }: { state: EstimateState }) {
  if (state.kind === 'idle') return null;
  if (state.kind === 'loading' || state.kind === 'error') {
    return (
      <p className="pa-estimate small muted" aria-live="polite" data-testid="estimate">
        {state.kind === 'loading' ? 'Estimating the cost…' : `Cost estimate: ${state.error}`}
      </p>
    );
  }
  const { view } = state;
  if (!view.allowed) {
    return (
      <p className="pa-estimate alert error" aria-live="polite" data-testid="estimate">
        {view.refusal}
      </p>
    );
  }
  return (
    <p className="pa-estimate small" aria-live="polite" data-testid="estimate">
      <strong>Estimated cost:</strong> {view.estimate.summary}. <span className="muted">Lab limit: {view.maxCpuHoursPerAnalysis} CPU-hours per analysis.</span>
    </p>
  );
}
