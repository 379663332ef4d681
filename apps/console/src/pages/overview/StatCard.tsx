import type { ReactNode } from 'react';

interface StatCardProps {
  title: string;
  href: string;
  /** The headline number(s). */
  value: ReactNode;
  children?: ReactNode;
  testId?: string;
}

export function StatCard({ title, href, value, children, testId }: StatCardProps) {
  return (
    <section className="card stat" data-testid={testId} aria-label={title}>
      <h2 className="stat-title">
        <a href={href}>{title}</a>
      </h2>
      <div className="stat-value">{value}</div>
      {children}
    </section>
  );
}
