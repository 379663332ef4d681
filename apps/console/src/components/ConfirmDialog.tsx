import { useEffect, useId, useRef, useState, type FormEvent, type KeyboardEvent, type ReactNode } from 'react';

interface ConfirmDialogProps {
  title: string;
  /** What will happen, in plain words: the operator confirms a consequence, not a verb. */
  children: ReactNode;
  confirmLabel: string;
  danger?: boolean;
  /** When set, the operator must type this exact text (a host's name) before confirming. */
  requireText?: string;
  /** Extra fields (a target host, a checkbox), rendered above the buttons. */
  extra?: ReactNode;
  pending?: boolean;
  onConfirm: () => void;
  onClose: () => void;
}

/**
 * A native modal `<dialog>`: showModal() makes the rest of the page inert and closes on Escape. Tab wraps
 * around inside it (the browser would otherwise move the focus out to its own toolbar). Mounted only while
 * open; focus returns to the button that opened it when it closes.
 */
export function ConfirmDialog(props: ConfirmDialogProps) {
  const { title, children, confirmLabel, danger, requireText, extra, pending, onConfirm, onClose } = props;
  const ref = useRef<HTMLDialogElement>(null);
  const inputRef = useRef<HTMLInputElement>(null);
  const cancelRef = useRef<HTMLButtonElement>(null);
  const [typed, setTyped] = useState('');
  const id = useId();
  const onCloseRef = useRef(onClose);

  useEffect(() => {
    onCloseRef.current = onClose;
  });

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    const opener = document.activeElement as HTMLElement | null;
    if (!dialog.open) dialog.showModal();
    // The safe choice gets the focus: the name to type, or Cancel.
    (inputRef.current ?? cancelRef.current)?.focus();
    const closed = () => onCloseRef.current();
    dialog.addEventListener('close', closed);
    return () => {
      dialog.removeEventListener('close', closed);
      if (dialog.open) dialog.close();
      // Browsers differ on restoring focus after a dialog closes: do it ourselves.
      if (opener?.isConnected) opener.focus();
    };
  }, []);

  const wrapFocus = (e: KeyboardEvent<HTMLDialogElement>) => {
    if (e.key !== 'Tab' || !ref.current) return;
    const focusable = [...ref.current.querySelectorAll<HTMLElement>('button, input, select, textarea, a[href]')].filter(
      (el) => !el.hasAttribute('disabled'),
    );
    if (focusable.length === 0) return;
    const first = focusable[0];
    const last = focusable[focusable.length - 1];
    if (e.shiftKey && document.activeElement === first) {
      e.preventDefault();
      last.focus();
    } else if (!e.shiftKey && document.activeElement === last) {
      e.preventDefault();
      first.focus();
    }
  };

  const matches = requireText === undefined || typed === requireText;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (matches && !pending) onConfirm();
  };

  return (
    <dialog
      ref={ref}
      className="dialog"
      aria-labelledby={`${id}-title`}
      onKeyDown={wrapFocus}
      data-testid="confirm-dialog"
    >
      <form onSubmit={submit} className="dialog-body">
        <h2 id={`${id}-title`}>{title}</h2>
        <div className="dialog-text">{children}</div>
        {requireText !== undefined && (
          <div className="field">
            <label htmlFor={`${id}-confirm`}>
              Type <strong className="mono">{requireText}</strong> to confirm
            </label>
            <input
              ref={inputRef}
              id={`${id}-confirm`}
              value={typed}
              onChange={(e) => setTyped(e.target.value)}
              autoComplete="off"
              spellCheck={false}
              data-testid="confirm-text"
            />
          </div>
        )}
        {extra}
        <div className="dialog-actions">
          <button
            ref={cancelRef}
            type="button"
            className="btn"
            onClick={() => ref.current?.close()}
            data-testid="confirm-cancel"
          >
            Cancel
          </button>
          <button
            type="submit"
            className={danger ? 'btn btn-danger' : 'btn btn-primary'}
            disabled={!matches || pending}
            data-testid="confirm-ok"
          >
            {pending ? 'Working…' : confirmLabel}
          </button>
        </div>
      </form>
    </dialog>
  );
}
