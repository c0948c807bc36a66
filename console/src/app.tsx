import BusinessIcon from '@mui/icons-material/Business';
import EventIcon from '@mui/icons-material/Event';
import GavelIcon from '@mui/icons-material/Gavel';
import HistoryIcon from '@mui/icons-material/History';
import KeyIcon from '@mui/icons-material/VpnKey';
import WebIcon from '@mui/icons-material/Web';
import RuleIcon from '@mui/icons-material/Rule';
import BlockIcon from '@mui/icons-material/Block';
import ManageAccountsIcon from '@mui/icons-material/ManageAccounts';
import PeopleIcon from '@mui/icons-material/People';
import ReportIcon from '@mui/icons-material/Report';
import { Route } from 'react-router-dom';
import { Admin, CustomRoutes, Resource, mergeTranslations } from 'react-admin';
import polyglotI18nProvider from 'ra-i18n-polyglot';
import englishMessages from 'ra-language-english';
import { ChangePassword } from './account/change-password';
import { AuditList } from './admin/audit';
import { ApiKeyCreate, ApiKeyList, FormCreate, FormList, FormShow, HubspotStatus, RuleCreate, RuleList, ScreeningDryRun, SenderCreate, SenderList } from './admin/integrations';
import { CompanyList } from './admin/companies';
import { CompanyShow } from './admin/company-show';
import { UserCreate, UserEdit, UserList } from './admin/users';
import { authProvider, type Role } from './common/auth-provider';
import { dataProvider } from './common/data-provider';
import { Layout } from './common/layout';
import { userStore } from './common/store';
import { theme } from './common/theme';
import { EventCreate, EventList, EventShow } from './events/events';
import { LeadCreate, LeadEdit } from './leads/lead-edit';
import { LeadList } from './leads/lead-list';
import { LeadShow } from './leads/lead-show';
import { PersonLookup, PrivacyRequestCreate, PrivacyRequestList, PrivacyRequestShow } from './privacy/privacy-requests';
import { QuarantineList } from './quarantine/quarantine-list';
import { RetentionPage } from './retention/retention';

// The firm's words where react-admin's defaults say something else.
const i18nProvider = polyglotI18nProvider(
  () =>
    mergeTranslations(englishMessages, {
      ra: {
        auth: { username: 'E-mail', sign_in: 'Sign in' },
        // The same words whether the record is gone or is not the user's to see: the API answers 404 for both.
        notification: { item_doesnt_exist: 'There is no such record, or it is not one you may see.' },
      },
    }),
  'en',
);

const has = (roles: Role[] | undefined, ...wanted: Role[]) => Boolean(roles?.some((r) => wanted.includes(r)));

/** Each role sees in the menu what its API role allows, nothing else (the API refuses the rest anyway). */
export function App() {
  return (
    <Admin title="Lead-intake CRM" authProvider={authProvider} dataProvider={dataProvider} i18nProvider={i18nProvider} layout={Layout} theme={theme} store={userStore} requireAuth disableTelemetry>
      {(roles: Role[]) => (
        <>
          {has(roles, 'sales', 'account_manager', 'admin') && (
            <Resource name="persons" options={{ label: 'Leads' }} icon={PeopleIcon} list={LeadList} show={LeadShow} edit={LeadEdit} create={LeadCreate} recordRepresentation={(r) => [r.firstName, r.lastName].filter(Boolean).join(' ') || r.email} />
          )}
          {has(roles, 'sales', 'admin') && <Resource name="quarantine" options={{ label: 'Quarantine' }} icon={ReportIcon} list={QuarantineList} />}
          {has(roles, 'event_staff', 'admin', 'sales') && (
            <Resource name="events" options={{ label: 'Events' }} icon={EventIcon} list={EventList} show={EventShow} create={has(roles, 'event_staff', 'admin') ? EventCreate : undefined} recordRepresentation="name" />
          )}
          {has(roles, 'account_manager', 'admin') && <Resource name="companies" options={{ label: 'Customers' }} icon={BusinessIcon} list={CompanyList} show={CompanyShow} recordRepresentation="name" />}
          {has(roles, 'dpo') && (
            <Resource name="privacy-requests" options={{ label: 'Privacy requests' }} icon={GavelIcon} list={PrivacyRequestList} show={PrivacyRequestShow} create={PrivacyRequestCreate} />
          )}
          {has(roles, 'admin') && <Resource name="users" options={{ label: 'Users' }} icon={ManageAccountsIcon} list={UserList} edit={UserEdit} create={UserCreate} recordRepresentation="name" />}
          {has(roles, 'admin') && <Resource name="api-keys" options={{ label: 'API keys' }} icon={KeyIcon} list={ApiKeyList} create={ApiKeyCreate} />}
          {has(roles, 'admin') && <Resource name="intake-forms" options={{ label: 'Web forms' }} icon={WebIcon} list={FormList} show={FormShow} create={FormCreate} recordRepresentation="name" />}
          {has(roles, 'admin') && <Resource name="screening-rules" options={{ label: 'Screening rules' }} icon={RuleIcon} list={RuleList} create={RuleCreate} />}
          {has(roles, 'admin') && <Resource name="screening-senders" options={{ label: 'Block list' }} icon={BlockIcon} list={SenderList} create={SenderCreate} />}
          {has(roles, 'admin', 'dpo') && <Resource name="audit" options={{ label: 'Audit log' }} icon={HistoryIcon} list={AuditList} />}
          <CustomRoutes>
            <Route path="/account/password" element={<ChangePassword />} />
            {has(roles, 'dpo') && <Route path="/privacy/lookup" element={<PersonLookup />} />}
            {has(roles, 'admin', 'sales') && <Route path="/hubspot" element={<HubspotStatus />} />}
            {has(roles, 'admin') && <Route path="/screening/dry-run" element={<ScreeningDryRun />} />}
            {has(roles, 'admin', 'dpo') && <Route path="/retention" element={<RetentionPage />} />}
          </CustomRoutes>
        </>
      )}
    </Admin>
  );
}
