'use client';
import type { ReactNode } from 'react';

export interface FieldA11y {
  id: string;
  'aria-describedby': string;
  'aria-invalid': boolean | undefined;
}

/**
 * One form field: label, control, a one-line explanation of why the option
 * matters, and the error in place (linked to the control for screen readers).
 */
export function Field({
  name,
  label,
  hint,
  help,
  error,
  children,
  className,
}: {
  name: string;
  label: ReactNode;
  hint?: ReactNode;
  help: ReactNode;
  error?: string;
  children: (a11y: FieldA11y) => ReactNode;
  className?: string;
}) {
  const id = `an-${name}`;
  return (
    <div className={`field pa-field${error ? ' pa-field-invalid' : ''}${className ? ` ${className}` : ''}`}>
      <label htmlFor={id}>
        {label}
        {hint ? <span className="hint"> {hint}</span> : null}
      </label>
      {children({ id, 'aria-describedby': error ? `${id}-err ${id}-help` : `${id}-help`, 'aria-invalid': error ? true : undefined })}
      {error ? (
        <p id={`${id}-err`} className="pa-field-error">
          {error}
        </p>
      ) : null}
      <p id={`${id}-help`} className="pa-help">
        {help}
      </p>
    </div>
  );
}
