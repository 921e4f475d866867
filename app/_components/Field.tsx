import type { ReactNode } from 'react';

/** A labelled form field; `hint` follows the label in the muted hint style. */
export function Field({ id, label, hint, className = 'field', children }: { id: string; label: ReactNode; hint?: ReactNode; className?: string; children: ReactNode }) {
  return (
    <div className={className}>
      <label htmlFor={id}>
        {label}
        {hint ? <span className="hint"> {hint}</span> : null}
      </label>
      {children}
    </div>
  );
}

/** A choice is shown as itself, or a record by its name and sent by its id. */
export type Choice = string | { id: string; name: string };

/** The `<option>`s for a list of choices. */
export function ChoiceOptions({ choices }: { choices: readonly Choice[] }) {
  return (
    <>
      {choices.map((c) =>
        typeof c === 'string' ? (
          <option key={c} value={c}>
            {c}
          </option>
        ) : (
          <option key={c.id} value={c.id}>
            {c.name}
          </option>
        ),
      )}
    </>
  );
}

/** A filter select (GET forms): first "any …" (empty, no filter), then the choices. */
export function FilterSelect({ id, name, label, value, any, choices }: { id: string; name: string; label: string; value: string | undefined; any: string; choices: readonly Choice[] }) {
  return (
    <Field id={id} label={label}>
      <select id={id} name={name} defaultValue={value ?? ''}>
        <option value="">{any}</option>
        <ChoiceOptions choices={choices} />
      </select>
    </Field>
  );
}
