"""HNTE maintenance (高企资质维护): the blueprint of the certificates list and the annual reports."""
