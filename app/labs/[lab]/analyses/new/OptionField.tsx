'use client';
import { useState, type ReactNode } from 'react';
import { formatValue, type OptionDecl } from '@/lib/server/shared/analysis-options';
import { Field, type FieldA11y } from './Field';
import type { FieldName } from './form-spec';

const sentence = (s: string) => `${s.charAt(0).toUpperCase()}${s.slice(1)}.`;

/** The help line of an option: what it does and, when it costs anything, how it scales the cost. */
export function optionHelp(d: OptionDecl): string {
  return d.cost === 'none' ? sentence(d.meaning) : `${sentence(d.meaning)} Cost: ${d.cost}.`;
}

/**
 * One analysis option as a form field, built from its declaration
 * (lib/analysis/options.ts): label, control by type, bounds, default and help.
 * `help` replaces the declared help where the form knows more (e.g. a warning
 * about the current value); `disabled` when the option does not apply to the
 * chosen model.
 */
export function OptionField({
  decl,
  error,
  onEdit,
  help,
  disabled,
}: {
  decl: OptionDecl;
  error?: string;
  onEdit: (field: FieldName) => void;
  help?: ReactNode;
  disabled?: boolean;
}) {
  const field = decl.form.field as FieldName;
  const edit = () => onEdit(field);
  const hint = decl.type === 'components-list' ? `optional, e.g. ${decl.form.placeholder ?? '3, 10'}, half` : decl.appliesTo?.format ? `(${decl.appliesTo.text} only)` : undefined;
  return (
    <Field name={field} label={decl.label} hint={hint} help={help ?? optionHelp(decl)} error={error}>
      {(a) => {
        switch (decl.type) {
          case 'int':
          case 'number':
            return (
              <input
                {...a}
                name={field}
                type="number"
                inputMode={decl.type === 'int' ? 'numeric' : 'decimal'}
                step={decl.form.step}
                min={decl.open ? undefined : decl.min}
                max={decl.open ? undefined : decl.max}
                defaultValue={decl.default as number}
                onChange={edit}
              />
            );
          case 'int-or-auto':
            return <input {...a} name={field} inputMode="numeric" placeholder={decl.form.placeholder} defaultValue={formatValue(decl.default)} onChange={edit} />;
          case 'enum':
            return (
              <select {...a} name={field} defaultValue={decl.default as string} onChange={edit}>
                {decl.choices!.map((c) => (
                  <option key={c.value} value={c.value}>
                    {c.label}
                  </option>
                ))}
              </select>
            );
          case 'boolean':
            return (
              <label className="pa-check">
                <input {...a} type="checkbox" name={field} value="true" defaultChecked={decl.default as boolean} disabled={disabled} onChange={edit} /> {decl.form.caption ?? decl.label}
              </label>
            );
          case 'components-list':
            return <input {...a} name={field} placeholder={decl.form.placeholder} onChange={edit} />;
          case 'components':
            return <ComponentsControl a={a} decl={decl} onEdit={edit} />;
        }
      }}
    </Field>
  );
}

/** Components: how to choose them (k, half the positions, a variance fraction), then the value. */
function ComponentsControl({ a, decl, onEdit }: { a: FieldA11y; decl: OptionDecl; onEdit: () => void }) {
  const [mode, setMode] = useState<'k' | 'half' | 'fraction'>('k');
  return (
    <div className="pa-inline">
      <select aria-label="Components: how to choose" name="componentsMode" value={mode} onChange={(e) => (setMode(e.target.value as 'k'), onEdit())}>
        <option value="k">k components</option>
        <option value="half">half the positions</option>
        <option value="fraction">variance fraction</option>
      </select>
      {mode === 'k' ? <input {...a} key="k" name="componentsK" type="number" inputMode="numeric" min={decl.min} max={decl.max} defaultValue={decl.default as number} onChange={onEdit} /> : null}
      {mode === 'fraction' ? <input {...a} key="f" name="componentsFraction" type="number" step="0.01" min={0.01} max={1} defaultValue={0.9} onChange={onEdit} /> : null}
      {mode === 'half' ? <input {...a} key="h" readOnly value="half" className="pa-readonly" tabIndex={-1} /> : null}
    </div>
  );
}
