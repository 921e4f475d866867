import type { ReactNode } from 'react';

/** A column heading: its words, or { label, num, title } for a right-aligned number column (or another class) and a hover text. */
export type Column = ReactNode | ColumnSpec;
interface ColumnSpec {
  label: ReactNode;
  num?: boolean;
  className?: string;
  /** What the heading means, on hover. */
  title?: string;
}

const isSpec = (c: Column): c is ColumnSpec =>
  typeof c === 'object' && c !== null && 'label' in c && !('$$typeof' in c);

/** A table's header row: one `<th scope="col">` per column, number columns aligned like their cells. */
export function TableHead({ columns }: { columns: readonly Column[] }) {
  return (
    <thead>
      <tr>
        {columns.map((c, i) => {
          const col: ColumnSpec = isSpec(c) ? c : { label: c };
          return (
            <th key={i} scope="col" className={col.num ? 'num' : col.className} title={col.title}>
              {col.label}
            </th>
          );
        })}
      </tr>
    </thead>
  );
}
