/** The first line of the chat: agent, model, and a clear DEMO label for the offline demo model. */
import { Text } from 'ink';

/** Props of the header. */
export interface HeaderProps {
  agent: string;
  model: string;
  isDemo: boolean;
}

/** The header line. */
export function Header({ agent, model, isDemo }: HeaderProps) {
  // One <Text> so a narrow terminal wraps the line instead of squeezing its parts.
  return (
    <Text>
      <Text bold color="magenta">
        agentor
      </Text>
      <Text dimColor> · </Text>
      <Text bold>{agent}</Text>
      <Text dimColor> · model </Text>
      {model}
      {isDemo && <DemoBadge />}
    </Text>
  );
}

/** The DEMO label, inside a header line's <Text>. */
export function DemoBadge() {
  return (
    <>
      {' '}
      <Text backgroundColor="yellow" color="black" bold>
        {' DEMO '}
      </Text>
      <Text dimColor> offline scripted model, no API calls</Text>
    </>
  );
}
