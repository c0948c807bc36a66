import { defaultLightTheme, type RaThemeOptions } from 'react-admin';

/**
 * react-admin's light theme, with colours dark enough for WCAG AA contrast (4.5:1) on white (its
 * own app bar blue, #2196f3 under white text, is 3.1:1), and spinners that say what they are.
 */
export const theme: RaThemeOptions = {
  ...defaultLightTheme,
  palette: {
    ...defaultLightTheme.palette,
    primary: { main: '#1452a3' },
    secondary: { light: '#5472d3', main: '#0d47a1', dark: '#002171', contrastText: '#fff' },
    // MUI's orange (#ed6c02) under white text is 3.4:1.
    warning: { main: '#a84b00', contrastText: '#fff' },
  },
  components: {
    ...defaultLightTheme.components,
    // react-admin's spinners (loading a page, refreshing a list) are progress bars with no name.
    MuiCircularProgress: { defaultProps: { 'aria-label': 'Loading' } },
    // An empty list's message is drawn at half opacity: too faint to read (2.9:1).
    RaEmpty: { styleOverrides: { root: { '& .RaEmpty-message': { opacity: 1, color: '#555' } } } },
  },
};
