// Small pieces every page uses: times people can read, JSON they can fold, a confirmation dialog, a pager.
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { age } from './api.ts';

/** A relative time ("3m ago"), the exact instant on hover. */
export function Time(props: { iso: string | null | undefined }) {
  if (!props.iso) return <span>—</span>;
  return (
    <time dateTime={props.iso} title={new Date(props.iso).toLocaleString()}>
      {age(props.iso)}
    </time>
  );
}

export const Badge = (props: { value: string }) => <span class={`badge ${props.value}`}>{props.value}</span>;

/** Pretty JSON, folded when long. */
export function Json(props: { value: unknown; label: string; testId?: string }) {
  const text = JSON.stringify(props.value, null, 2) ?? 'null';
  const long = text.split('\n').length > 12;
  return (
    <details open={!long} data-testid={props.testId}>
      <summary>
        {props.label}
        {long ? ` (${text.split('\n').length} lines)` : ''}
      </summary>
      <pre class="json">{text}</pre>
    </details>
  );
}

export const Empty = (props: { children: ComponentChildren }) => <p class="muted empty">{props.children}</p>;

/**
 * A button that asks first, in a modal dialog (keyboard and screen readers handle <dialog> natively).
 * `onConfirm` runs only after "Yes".
 */
export function ConfirmButton(props: {
  label: string;
  question: string;
  confirm: string;
  onConfirm: () => void | Promise<void>;
  danger?: boolean;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  return (
    <>
      <button type="button" class={props.danger ? 'danger' : ''} onClick={() => dialog.current?.showModal()}>
        {props.label}
      </button>
      <dialog ref={dialog} aria-label={props.question}>
        <p>{props.question}</p>
        <div class="actions">
          <button type="button" onClick={() => dialog.current?.close()}>
            No, keep it
          </button>
          <button
            type="button"
            class="danger"
            onClick={async () => {
              dialog.current?.close();
              await props.onConfirm();
            }}
          >
            {props.confirm}
          </button>
        </div>
      </dialog>
    </>
  );
}

/** Cursor paging: the cursors of the pages before this one, so "Newer" can go back. */
export function useCursors(resetOn: unknown[]) {
  const [cursors, setCursors] = useState<string[]>([]);
  useEffect(() => setCursors([]), resetOn);
  return {
    current: cursors.at(-1) ?? null,
    older: (next: string) => setCursors([...cursors, next]),
    newer: () => setCursors(cursors.slice(0, -1)),
    atStart: cursors.length === 0,
  };
}

export function Pager(props: { pager: ReturnType<typeof useCursors>; next: string | null | undefined }) {
  return (
    <div class="pager">
      <button type="button" disabled={props.pager.atStart} onClick={props.pager.newer}>
        Newer
      </button>
      <button type="button" disabled={!props.next} onClick={() => props.next && props.pager.older(props.next)}>
        Older
      </button>
    </div>
  );
}

/** A message after an action, or its error. */
export function Notice(props: { error?: string; children?: ComponentChildren }) {
  if (props.error) {
    return (
      <p class="error" role="alert">
        {props.error}
      </p>
    );
  }
  return props.children ? <p role="status">{props.children}</p> : null;
}
