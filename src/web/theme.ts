import { Card, createTheme, Paper } from '@mantine/core';

/** Calm and clinical: teal for action, plenty of white, soft borders. */
export const theme = createTheme({
  primaryColor: 'teal',
  // Shade 7 keeps white button text above WCAG AA contrast on teal.
  primaryShade: { light: 7, dark: 6 },
  defaultRadius: 'md',
  fontFamily:
    'Inter, ui-sans-serif, system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif',
  headings: {
    fontWeight: '650',
  },
  cursorType: 'pointer',
  components: {
    Card: Card.extend({ defaultProps: { shadow: 'xs' } }),
    Paper: Paper.extend({ defaultProps: { shadow: 'xs' } }),
  },
});
