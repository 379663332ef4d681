import type { ReactNode } from 'react';

/**
 * A table that scrolls sideways on narrow screens instead of squeezing; the wrapper is focusable so keyboard
 * users can scroll it too.
 */
export function Table({ label, children, className }: { label: string; children: ReactNode; className?: string }) {
  return (
    <div className="table-wrap" role="region" aria-label={label} tabIndex={0}>
      <table className={className ? `table ${className}` : 'table'}>{children}</table>
    </div>
  );
}

export function EmptyRow({ cols, children }: { cols: number; children: ReactNode }) {
  return (
    <tr>
      <td colSpan={cols} className="muted empty">
        {children}
      </td>
    </tr>
  );
}
