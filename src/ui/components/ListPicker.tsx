/**
 * A keyboard-driven list picker: type to filter, ↑/↓ (or Ctrl+P/Ctrl+N) to move, PgUp/PgDn to page, Enter to choose,
 * Esc (or Ctrl+C) to leave without a choice. Keys are read with useKeyPresses: a filter typed and Enter read at once
 * both count. Generic over its items: the session picker of `chat --resume` uses it,
 * and so can a model picker. Labels are shown as given: callers pass sanitised, one-line text.
 */
import { Box, Text } from 'ink';
import { useMemo, useRef, useState } from 'react';
import { clusters } from '../graphemes.js';
import { useKeyPresses } from '../use-key-presses.js';

/** One choice. */
export interface PickerItem {
  /** What `onSelect` gets. */
  id: string;
  /** The main text of its row. */
  label: string;
  /** Dim text after the label. */
  detail?: string;
  /** Extra text the filter matches (not shown). */
  keywords?: string;
}

/** Props of the picker. */
export interface ListPickerProps {
  items: readonly PickerItem[];
  title: string;
  onSelect: (id: string) => void;
  onCancel: () => void;
  /** Rows shown at once (default 10). */
  rows?: number;
  /** Columns a row may take (default: the terminal's). */
  width?: number;
}

/** Items whose label, detail, keywords or id contain every word typed (case-insensitive). */
export function filterItems(items: readonly PickerItem[], query: string): PickerItem[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return [...items];
  return items.filter((item) => {
    const hay = `${item.id} ${item.label} ${item.detail ?? ''} ${item.keywords ?? ''}`.toLowerCase();
    return words.every((w) => hay.includes(w));
  });
}

function cut(text: string, max: number): string {
  const chars = [...text];
  return chars.length > max ? `${chars.slice(0, Math.max(0, max - 1)).join('')}…` : text;
}

/** The picker. */
export function ListPicker({ items, title, onSelect, onCancel, rows = 10, width }: ListPickerProps) {
  // The handler reads the latest query and cursor from refs: keys read together arrive before React re-renders.
  const [view, setView] = useState({ query: '', cursor: 0 });
  const latest = useRef(view);
  const update = (next: { query: string; cursor: number }): void => {
    latest.current = next;
    setView(next);
  };
  const { query } = view;
  const shown = useMemo(() => filterItems(items, query), [items, query]);
  const at = Math.min(view.cursor, Math.max(0, shown.length - 1));
  const top = Math.max(0, Math.min(at - Math.floor(rows / 2), shown.length - rows));
  const columns = Math.max(20, (width ?? process.stdout.columns ?? 80) - 4);

  useKeyPresses((press) => {
    const now = latest.current;
    const matching = filterItems(items, now.query);
    const last = Math.max(0, matching.length - 1);
    const move = (by: number): void =>
      update({ ...now, cursor: Math.max(0, Math.min(last, Math.min(now.cursor, last) + by)) });
    if (press.kind !== 'key') {
      const text = press.text.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ');
      if (text) update({ query: now.query + text, cursor: 0 });
      return;
    }
    const { name, ctrl, meta } = press;
    if (name === 'escape' || (ctrl && name === 'c')) return onCancel();
    if (name === 'return') {
      const item = matching[Math.min(now.cursor, last)];
      if (item) onSelect(item.id);
      return;
    }
    if (name === 'up' || (ctrl && name === 'p')) return move(-1);
    if (name === 'down' || (ctrl && name === 'n')) return move(1);
    if (name === 'pageup') return move(-rows);
    if (name === 'pagedown') return move(rows);
    if (name === 'backspace' || name === 'delete' || (ctrl && name === 'h'))
      return update({
        query: clusters(now.query)
          .slice(0, meta ? 0 : -1)
          .join(''),
        cursor: 0,
      });
    if (ctrl && name === 'u') return update({ query: '', cursor: 0 });
  });

  return (
    <Box flexDirection="column">
      <Text bold>{title}</Text>
      <Text>
        <Text color="cyan">filter ❯ </Text>
        {query}
        <Text inverse> </Text>
      </Text>
      {shown.length === 0 ? (
        <Text dimColor> nothing matches “{cut(query, 40)}”</Text>
      ) : (
        shown.slice(top, top + rows).map((item, i) => {
          const selected = top + i === at;
          const label = cut(item.label, columns);
          const room = columns - [...label].length - 2;
          return (
            <Text key={item.id} wrap="truncate">
              <Text color={selected ? 'cyan' : undefined}>{selected ? '❯ ' : '  '}</Text>
              <Text bold={selected}>{label}</Text>
              {item.detail && room > 4 ? <Text dimColor>{`  ${cut(item.detail, room)}`}</Text> : null}
            </Text>
          );
        })
      )}
      <Text dimColor>
        {shown.length > rows ? `${at + 1}/${shown.length} · ` : ''}type to filter · ↑↓ move · enter choose · esc cancel
      </Text>
    </Box>
  );
}
