//! Staff authentication and authorization: roles, what each may do (in one
//! table), passwords, TOTP, sessions.

pub mod password;
pub use findkin_store::{sessions, throttle};
pub mod totp;

use serde::Serialize;

pub use findkin_store::staff::{Role, StaffUser};

/// Everything a staff member can ask for. Checked in one place: [`can`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// The console start page and its charts.
    ViewDashboard,
    /// Records list and staff search (public fields only in the list).
    ListRecords,
    /// A record's released and staff fields (every view is audited).
    ViewRecord,
    CreateRecord,
    EditRecord,
    ImportRecords,
    ExportRecords,
    ViewAudit,
    ExportAudit,
    /// The request queue, request pages, photos, and every workflow step.
    ModerateRequests,
    /// Who holds which request: release a claim or hand it to another
    /// moderator (without reading the request itself).
    ManageClaims,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::ViewDashboard => "view_dashboard",
            Action::ListRecords => "list_records",
            Action::ViewRecord => "view_record",
            Action::CreateRecord => "create_record",
            Action::EditRecord => "edit_record",
            Action::ImportRecords => "import_records",
            Action::ExportRecords => "export_records",
            Action::ViewAudit => "view_audit",
            Action::ExportAudit => "export_audit",
            Action::ModerateRequests => "moderate_requests",
            Action::ManageClaims => "manage_claims",
        }
    }
}

/// The permission table. Editors keep the registry; moderators read it to
/// check requests; admins run accounts and read the audit log. Nobody
/// gets an action by accident: anything not listed is refused.
pub fn can(role: Role, action: Action) -> bool {
    use Action::*;
    match role {
        Role::Editor => matches!(
            action,
            ViewDashboard | ListRecords | ViewRecord | CreateRecord | EditRecord | ImportRecords | ExportRecords
        ),
        Role::Moderator => matches!(action, ViewDashboard | ListRecords | ViewRecord | ModerateRequests),
        Role::Admin => matches!(action, ViewDashboard | ViewAudit | ExportAudit | ListRecords | ManageClaims),
    }
}

/// Truncates an address for the audit log: IPv4 to /24, IPv6 to /48.
pub fn truncate_address(addr: std::net::IpAddr) -> String {
    match addr {
        std::net::IpAddr::V4(v4) => {
            let o = v4.octets();
            format!("{}.{}.{}.0/24", o[0], o[1], o[2])
        }
        std::net::IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return truncate_address(std::net::IpAddr::V4(v4));
            }
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}::/48", s[0], s[1], s[2])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_role_has_only_its_own_actions() {
        assert!(can(Role::Editor, Action::EditRecord));
        assert!(!can(Role::Moderator, Action::EditRecord));
        assert!(!can(Role::Admin, Action::EditRecord));
        assert!(can(Role::Admin, Action::ViewAudit));
        assert!(!can(Role::Editor, Action::ViewAudit));
        assert!(!can(Role::Moderator, Action::ExportAudit));
        assert!(!can(Role::Moderator, Action::ImportRecords));
        assert!(!can(Role::Admin, Action::ViewRecord), "admins run accounts, not records");
        assert!(can(Role::Moderator, Action::ModerateRequests));
        assert!(!can(Role::Editor, Action::ModerateRequests));
        assert!(!can(Role::Admin, Action::ModerateRequests));
    }

    #[test]
    fn addresses_are_truncated() {
        assert_eq!(truncate_address("203.0.113.77".parse().unwrap()), "203.0.113.0/24");
        assert_eq!(truncate_address("2001:db8:abcd:12::1".parse().unwrap()), "2001:db8:abcd::/48");
        assert_eq!(truncate_address("::ffff:10.1.2.3".parse().unwrap()), "10.1.2.0/24");
    }
}
