import { Group, Text, ThemeIcon } from '@mantine/core';
import { IconHeartHandshake } from '@tabler/icons-react';

/** The Rapport logo glyph. */
export function BrandIcon({ size = 32 }: { size?: number }) {
  return (
    <ThemeIcon size={size} radius="md" variant="gradient" gradient={{ from: 'teal.7', to: 'cyan.7', deg: 135 }}>
      <IconHeartHandshake size={Math.round(size * 0.6)} stroke={1.8} aria-hidden />
    </ThemeIcon>
  );
}

/** The logo glyph with the product name, for the app header. */
export function BrandMark() {
  return (
    <Group gap={10} wrap="nowrap">
      <BrandIcon />
      <Text component="span" fw={700} fz={20} c="teal.9" lh={1}>
        Rapport
      </Text>
    </Group>
  );
}
