import type { ReactNode } from 'react';

/** A column heading: its words, or { label, num } for a right-aligned number column (or another class). */
export type Column = ReactNode | { label: ReactNode; num?: boolean; className?: string };

const isSpec = (c: Column): c is { label: ReactNode; num?: boolean; className?: string } =>
  typeof c === 'object' && c !== null && 'label' in c && !('$$typeof' in c);

/** A table's header row: one `<th scope="col">` per column, number columns aligned like their cells. */
export function TableHead({ columns }: { columns: readonly Column[] }) {
  return (
    <thead>
      <tr>
        {columns.map((c, i) => {
          const col = isSpec(c) ? c : { label: c };
          return (
            <th key={i} scope="col" className={col.num ? 'num' : col.className}>
              {col.label}
            </th>
          );
        })}
      </tr>
    </thead>
  );
}
