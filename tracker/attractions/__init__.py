"""招引项目 (attraction projects, plan §1): the blueprint of projects, weekly follow-up and the funnel."""
