/**
 * Finished transcript items, printed once through Ink's <Static> (the single- and multi-agent screens share it).
 * Memoised: a key press or a clock tick re-renders the screen but not this, because every re-render of <Static>
 * marks Ink's static output dirty, which forces an immediate, unthrottled frame. Typing therefore costs a prompt
 * update inside Ink's 30 fps throttle, however long the history.
 */
import { Box, Static } from 'ink';
import { memo, type ComponentType } from 'react';

/** How one item is drawn. */
export interface ItemViewProps<T> {
  item: T;
  width: number;
  color: boolean;
  showReasoning: boolean;
}

/** Props of the history. */
export interface StaticHistoryProps<T extends { id: string | number }> extends Omit<ItemViewProps<T>, 'item'> {
  items: T[];
  /** A new key prints the whole history again (after /clear, or a resize at the new width). */
  printKey: string;
  Item: ComponentType<ItemViewProps<T>>;
}

function StaticHistoryImpl<T extends { id: string | number }>({
  items,
  printKey,
  Item,
  width,
  color,
  showReasoning,
}: StaticHistoryProps<T>) {
  return (
    <Static key={printKey} items={items}>
      {(item) => (
        <Box key={item.id} flexDirection="column" width={width}>
          <Item item={item} width={width} color={color} showReasoning={showReasoning} />
        </Box>
      )}
    </Static>
  );
}

/** The history, rendered again only when its items, key, width, colour or reasoning mode change. */
export const StaticHistory = memo(StaticHistoryImpl) as typeof StaticHistoryImpl;
