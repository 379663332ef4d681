import type { ReactNode } from 'react';
import type { Poll } from '../hooks/usePoll';
import { UpdatedAgo } from './UpdatedAgo';

interface PageHeaderProps {
  title: ReactNode;
  poll?: Pick<Poll<unknown>, 'updatedAt' | 'error' | 'refresh'>;
  children?: ReactNode;
}

export function PageHeader({ title, poll, children }: PageHeaderProps) {
  return (
    <header className="page-header">
      <div className="page-title">
        <h1>{title}</h1>
        {poll && <UpdatedAgo updatedAt={poll.updatedAt} error={poll.error} onRefresh={poll.refresh} />}
      </div>
      {children && <div className="page-tools">{children}</div>}
    </header>
  );
}
