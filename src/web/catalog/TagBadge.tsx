import { Badge } from '@mantine/core';

/** One of the clinic's tags, in its own colour; `noWrap` keeps the whole name visible in tight cells. */
export function TagBadge({ name, color = 'gray', noWrap }: { name: string; color?: string; noWrap?: boolean }) {
  return (
    <Badge
      color={color}
      variant="light"
      radius="sm"
      tt="none"
      fw={500}
      size="sm"
      style={noWrap ? { overflow: 'visible', flexShrink: 0 } : undefined}
      styles={noWrap ? { label: { overflow: 'visible', textOverflow: 'clip' } } : undefined}
    >
      {name}
    </Badge>
  );
}
