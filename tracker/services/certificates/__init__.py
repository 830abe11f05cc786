"""HNTE maintenance (高企资质维护): certificates to renew, their re-application tracks, annual reports."""
