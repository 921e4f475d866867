/** The messages a form shows: its refusal, and the one under a field. */

/** A form's refusal, announced to screen readers; nothing when there is none. */
export function ErrorAlert({ message, id }: { message: string | null | undefined; id?: string }) {
  if (!message) return null;
  return (
    <p id={id} className="alert error" role="alert">
      {message}
    </p>
  );
}

/** The message under one field (`id` is what the field's aria-describedby names); nothing when there is none. */
export function FieldError({ id, message }: { id: string; message: string | null | undefined }) {
  if (!message) return null;
  return (
    <p id={id} className="pa-field-error" role="alert">
      {message}
    </p>
  );
}

/** A field's aria attributes for the message FieldError shows under it. */
export function describedBy(id: string, message: string | null | undefined) {
  return { 'aria-invalid': message ? true : undefined, 'aria-describedby': message ? id : undefined } as const;
}
