'use client';
/** Native form controls for the compare views: labelled, keyboard-operable, no custom widgets to learn. */
import { useId, useState, type ReactNode } from 'react';
import { ChoiceOptions, Field as SharedField } from '@/app/_components/Field';
import { SCORE_CHOICES, type AnalysisInfo, type ScoreChoice } from '@/lib/server/shared/compare';

export function analysisLabel(a: AnalysisInfo): string {
  return `${a.title} — ${a.model.name} v${a.model.version}, ${a.targetLabel}, ${a.dataset.name}`;
}

export const SCORE_OPTION_LABELS: Record<ScoreChoice, string> = {
  auto: "each analysis' own ranking score",
  crossfit: 'cross-fitted score',
  multiple: 'multiple correlation',
  pc1: 'PC1 correlation (published statistic)',
  z: 'permutation z-score',
};

function Field(props: { label: string; hint?: ReactNode; children: ReactNode; id: string }) {
  return <SharedField {...props} className="cmp-field" />;
}

export function AnalysisSelect({
  label,
  value,
  options,
  onChange,
  name,
  hint,
  placeholder = 'Choose an analysis',
}: {
  label: string;
  value: string;
  options: AnalysisInfo[];
  onChange?: (id: string) => void;
  name?: string;
  hint?: ReactNode;
  placeholder?: string;
}) {
  const id = useId();
  return (
    <Field label={label} hint={hint} id={id}>
      <select id={id} name={name} value={onChange ? value : undefined} defaultValue={onChange ? undefined : value} onChange={onChange ? (e) => onChange(e.target.value) : undefined} required>
        <option value="" disabled>
          {placeholder}
        </option>
        {options.map((a) => (
          <option key={a.id} value={a.id}>
            {analysisLabel(a)}
          </option>
        ))}
      </select>
    </Field>
  );
}

export function ScoreSelect({ value, onChange, name }: { value: string; onChange?: (v: ScoreChoice) => void; name?: string }) {
  const id = useId();
  return (
    <Field label="Score" id={id}>
      <select id={id} name={name} value={onChange ? value || 'auto' : undefined} defaultValue={onChange ? undefined : value || 'auto'} onChange={onChange ? (e) => onChange(e.target.value as ScoreChoice) : undefined}>
        {SCORE_CHOICES.map((s) => (
          <option key={s} value={s}>
            {SCORE_OPTION_LABELS[s]}
          </option>
        ))}
      </select>
    </Field>
  );
}

export function LayerSelect({ value, layers, onChange, name, label = 'Layer' }: { value: string; layers: string[]; onChange?: (v: string) => void; name?: string; label?: string }) {
  const id = useId();
  return (
    <Field label={label} id={id}>
      <select id={id} name={name} value={onChange ? value : undefined} defaultValue={onChange ? undefined : value} onChange={onChange ? (e) => onChange(e.target.value) : undefined} disabled={layers.length === 0}>
        <ChoiceOptions choices={layers} />
      </select>
    </Field>
  );
}

/** Top-k: applied on Enter or when the field loses focus, not on every keystroke (each value is a request). */
export function KInput({ value, onChange, max = 1000 }: { value: string; onChange: (v: string) => void; max?: number }) {
  const id = useId();
  const [draft, setDraft] = useState(value);
  const [seen, setSeen] = useState(value);
  if (seen !== value) {
    setSeen(value);
    setDraft(value);
  }
  const commit = () => {
    const k = Number(draft);
    if (Number.isInteger(k) && k >= 1 && k <= max) onChange(String(k));
    else setDraft(value);
  };
  return (
    <Field label="Top k" hint="channels" id={id}>
      <input
        id={id}
        type="number"
        min={1}
        max={max}
        step={1}
        value={draft}
        onChange={(e) => setDraft(e.target.value)}
        onBlur={commit}
        onKeyDown={(e) => {
          if (e.key === 'Enter') commit();
        }}
        className="cmp-k"
      />
    </Field>
  );
}
