//! Who an exception may be given to: the members of its team as the rules name them, whether their shift covers
//! an instant, and how much open work each already holds, so a person assigning sees who is there to take it.

use crate::codes::Timestamp;
use crate::engine::composition::Engine;

/// A member of a team, as the assign form offers them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TeamMember {
    pub name: String,
    pub on_shift: bool,
    /// Active exceptions assigned to them.
    pub open: u32,
}

impl Engine {
    /// The members of `team` at `at`: those on shift first, each group least loaded first, then by name. Empty
    /// for a team the rules give no members.
    pub fn team_roster(&self, team: &str, at: Timestamp) -> Vec<TeamMember> {
        self.teams_roster(&[team], at)
    }

    /// The members of any of `teams` at `at`, each once, in [`Engine::team_roster`]'s order: whom to give work
    /// that spans teams (an incident's exceptions).
    pub fn teams_roster(&self, teams: &[&str], at: Timestamp) -> Vec<TeamMember> {
        let workflow = &self.config.rules.workflow;
        let mut roster: Vec<TeamMember> = Vec::new();
        for member in teams
            .iter()
            .filter_map(|team| workflow.teams.get(*team))
            .flat_map(|team| &team.members)
        {
            if roster.iter().any(|known| known.name == *member) {
                continue;
            }
            roster.push(TeamMember {
                name: member.clone(),
                on_shift: workflow.on_shift(member, at),
                open: self.state.book.exceptions.load(member),
            });
        }
        roster.sort_by(|left, right| {
            (right.on_shift.cmp(&left.on_shift))
                .then(left.open.cmp(&right.open))
                .then_with(|| left.name.cmp(&right.name))
        });
        roster
    }
}
