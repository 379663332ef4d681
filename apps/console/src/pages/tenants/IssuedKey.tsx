import { useId, useRef, useState } from 'react';
import type { IssuedApiKey } from '../../api/types';

/** The new key in clear, this once: the API keeps only its hash. */
export function IssuedKey({ issued, onDismiss }: { issued: IssuedApiKey; onDismiss: () => void }) {
  const id = useId();
  const input = useRef<HTMLInputElement>(null);
  const [copied, setCopied] = useState<string | null>(null);

  const copy = async () => {
    input.current?.select();
    try {
      await navigator.clipboard.writeText(issued.key);
      setCopied('Copied to the clipboard.');
    } catch {
      // No clipboard API (plain http, or refused): the text is selected for Ctrl+C instead.
      setCopied('Selected: press Ctrl+C (⌘C) to copy.');
    }
  };

  return (
    <div className="note note-warn issued" role="status">
      <p>
        <strong>Copy this key now: it will not be shown again.</strong> Give it to the tenant over a safe channel.
      </p>
      <label htmlFor={`${id}-key`}>
        Key “{issued.name}” <span className="muted">({issued.prefix}…)</span>
      </label>
      <div className="copy-row">
        <input
          ref={input}
          id={`${id}-key`}
          className="mono"
          value={issued.key}
          readOnly
          onFocus={(e) => e.currentTarget.select()}
          spellCheck={false}
          data-testid="issued-key"
        />
        <button type="button" className="btn" onClick={() => void copy()}>
          Copy
        </button>
        <button type="button" className="btn btn-quiet" onClick={onDismiss}>
          I saved it
        </button>
      </div>
      {copied && <p className="small">{copied}</p>}
    </div>
  );
}
