import KeyIcon from '@mui/icons-material/Key';
import PersonSearchIcon from '@mui/icons-material/PersonSearch';
import SyncIcon from '@mui/icons-material/Sync';
import ScienceIcon from '@mui/icons-material/Science';
import ScheduleIcon from '@mui/icons-material/Schedule';
import { ListItemIcon, ListItemText, MenuItem } from '@mui/material';
import type { ReactNode } from 'react';
import { Link } from 'react-router-dom';
import { AppBar, Layout as RaLayout, Logout, Menu, UserMenu, useGetIdentity, usePermissions, useUserMenu } from 'react-admin';

function PasswordItem() {
  const { onClose } = useUserMenu() ?? {};
  return (
    <MenuItem component={Link} to="/account/password" onClick={onClose}>
      <ListItemIcon><KeyIcon fontSize="small" /></ListItemIcon>
      <ListItemText>Change password</ListItemText>
    </MenuItem>
  );
}

/** The menu's button shows the user's name; its accessible name says the same, and what it opens. */
function AccountMenu() {
  const { identity } = useGetIdentity();
  return (
    <UserMenu label={identity?.fullName ? `${identity.fullName}: account menu` : 'Account menu'}>
      <PasswordItem />
      <Logout />
    </UserMenu>
  );
}

const Bar = () => <AppBar userMenu={<AccountMenu />} />;

/** The role's resources, and the pages that are not lists: the DPO's person finder, the screening dry run, HubSpot. */
function SideMenu() {
  const { permissions } = usePermissions<string[]>();
  return (
    <Menu>
      <Menu.ResourceItems />
      {permissions?.includes('dpo') && <Menu.Item to="/privacy/lookup" primaryText="Find a person" leftIcon={<PersonSearchIcon />} />}
      {permissions?.some((r) => r === 'admin' || r === 'dpo') && <Menu.Item to="/retention" primaryText="Retention" leftIcon={<ScheduleIcon />} />}
      {permissions?.includes('admin') && <Menu.Item to="/screening/dry-run" primaryText="Screening dry run" leftIcon={<ScienceIcon />} />}
      {permissions?.some((r) => r === 'admin' || r === 'sales') && <Menu.Item to="/hubspot" primaryText="HubSpot sync" leftIcon={<SyncIcon />} />}
    </Menu>
  );
}

export const Layout = ({ children }: { children: ReactNode }) => <RaLayout appBar={Bar} menu={SideMenu}>{children}</RaLayout>;
