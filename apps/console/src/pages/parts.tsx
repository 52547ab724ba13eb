import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';

export function Problem({ error }: { error: string | undefined }) {
  return error ? (
    <p class="error" role="alert">
      {error}
    </p>
  ) : null;
}

/** A wide table scrolls sideways on a phone; the region takes focus so a keyboard can scroll it. */
export function Scroll({ label, children }: { label: string; children: ComponentChildren }) {
  return (
    <div class="scroll" role="region" aria-label={label} tabIndex={0}>
      {children}
    </div>
  );
}

/** A modal confirmation (the browser's <dialog>: focus kept inside, Escape cancels). */
export function Confirm({
  question,
  confirmLabel,
  onAnswer,
}: {
  question: string;
  confirmLabel: string;
  onAnswer: (yes: boolean) => void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current!;
    if (!dialog.open) dialog.showModal();
    const cancel = () => onAnswer(false);
    dialog.addEventListener('cancel', cancel);
    return () => dialog.removeEventListener('cancel', cancel);
  }, [onAnswer]);
  return (
    <dialog ref={ref} aria-labelledby="confirm-question">
      <p id="confirm-question">{question}</p>
      <div class="actions">
        <button type="button" class="danger" onClick={() => onAnswer(true)}>
          {confirmLabel}
        </button>
        <button type="button" autofocus onClick={() => onAnswer(false)}>
          Keep it
        </button>
      </div>
    </dialog>
  );
}
