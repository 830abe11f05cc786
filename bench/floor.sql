-- The hand-written floor for the indicator roll-up: all 12 indicators by district in one
-- statement. :d is the as-of date, :y0 the 1 January of its year, :y1 the next 1 January, :yr the year.
SELECT 'hnte_count' AS code, c.district, count(DISTINCT d.company_id) AS n
  FROM designation d JOIN company c ON c.id = d.company_id
 WHERE c.deleted_at IS NULL AND d.rung = 'hnte' AND d.valid_from <= :d
   AND (d.valid_until IS NULL OR d.valid_until >= :d) AND (d.revoked_on IS NULL OR d.revoked_on > :d)
 GROUP BY c.district
UNION ALL
SELECT 'gazelle_cumulative', c.district, count(DISTINCT d.company_id)
  FROM designation d JOIN company c ON c.id = d.company_id
 WHERE c.deleted_at IS NULL AND d.rung = 'gazelle' AND d.granted_on <= :d
   AND (d.revoked_on IS NULL OR d.revoked_on > :d)
 GROUP BY c.district
UNION ALL
SELECT 'unicorn_cumulative', c.district, count(DISTINCT d.company_id)
  FROM designation d JOIN company c ON c.id = d.company_id
 WHERE c.deleted_at IS NULL AND d.rung IN ('potential_unicorn', 'unicorn') AND d.granted_on <= :d
   AND (d.revoked_on IS NULL OR d.revoked_on > :d)
 GROUP BY c.district
UNION ALL
SELECT 'tech_sme_registered', c.district, count(DISTINCT d.company_id)
  FROM designation d JOIN company c ON c.id = d.company_id
 WHERE c.deleted_at IS NULL AND d.rung = 'tech_sme' AND d.valid_from >= :y0 AND d.valid_from < :y1
   AND d.granted_on <= :d AND (d.revoked_on IS NULL OR d.revoked_on > :d)
 GROUP BY c.district
UNION ALL
SELECT 'tech_sme_attracted_new', c.district, count(*)
  FROM company c WHERE c.deleted_at IS NULL AND c.attracted_on >= :y0 AND c.attracted_on <= :d
 GROUP BY c.district
UNION ALL
SELECT CASE t.kind WHEN 'provincial_innovation' THEN 'talent_innovation_new'
                   WHEN 'provincial_team' THEN 'talent_team_new' ELSE 'talent_city_new' END,
       t.district, count(*)
  FROM talent_award t WHERE t.recognized_on >= :y0 AND t.recognized_on <= :d
 GROUP BY t.kind, t.district
UNION ALL
SELECT 'carrier_city_new', ca.district, count(*)
  FROM carrier ca JOIN (SELECT carrier_id, min(recognized_on) AS first_on FROM carrier_level GROUP BY carrier_id) f
    ON f.carrier_id = ca.id
 WHERE f.first_on >= :y0 AND f.first_on <= :d
 GROUP BY ca.district
UNION ALL
SELECT 'carrier_province_new', ca.district, count(*)
  FROM carrier ca JOIN (SELECT carrier_id, min(recognized_on) AS first_on FROM carrier_level
                         WHERE level IN ('province', 'national') GROUP BY carrier_id) f
    ON f.carrier_id = ca.id
 WHERE f.first_on >= :y0 AND f.first_on <= :d
 GROUP BY ca.district
UNION ALL
SELECT 'platform_province_new', p.district, count(*)
  FROM platform p WHERE p.level IN ('province', 'national') AND p.recognized_on >= :y0 AND p.recognized_on <= :d
 GROUP BY p.district
UNION ALL
SELECT 'service_org_count', s.district, count(*)
  FROM service_institution s WHERE s.year = :yr
 GROUP BY s.district
