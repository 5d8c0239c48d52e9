"""Curated domain vocabularies: what a renamed template's schema may be made of.

A *domain* (retail, healthcare, logistics, ...) has *entities* (its tables); an entity has its
own columns, each with a *role* (``money``, ``count``, ``category``, ``date``, ...), and every
entity of a domain also has the domain's common columns (``created_at``, ``is_active``, ...).
Renaming re-targets a template onto one domain (:mod:`ibert_assets.templates.rename`): each
table becomes an entity of that domain, each column a column of that entity with the role the
old column had, so a renamed schema reads as one database, never as words of several.

A string column has the values it plausibly holds (:data:`POOLS`), so a literal compared with a
renamed column is one of its values. :data:`GENERAL_WORDS` are the words a question may use
whatever its domain ("average", "per", "more than"): a renamed question's other words must be
the new schema's nouns or its literals.

>>> column_role("delay_min", "int32"), column_role("unit_price", "float64")
('minutes', 'money')
>>> sorted(entity_columns("retail", "stores"))[:3]
['checkouts', 'city', 'created_at']
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

# role -> dtype families a column of that role may have (the old column's dtype is kept)
ROLE_FAMILIES: Mapping[str, tuple[str, ...]] = {
    "name": ("string",), "category": ("string",), "code": ("string",), "text": ("string",),
    "count": ("int", "float"), "minutes": ("int", "float"), "seconds": ("int", "float"),
    "year": ("int",), "money": ("int", "float"), "measure": ("int", "float"),
    "pct": ("int", "float"), "score": ("int", "float"), "flag": ("boolean",),
    "date": ("date",), "timestamp": ("timestamp",),
}  # fmt: skip

# every entity of a domain has these too
COMMON = "created_at:timestamp updated_at:timestamp is_active:flag ref_code:code notes:text"

# domain -> entity (plural table name) -> (singular, "column:role ...")
DOMAINS: Mapping[str, Mapping[str, tuple[str, str]]] = {
    "retail": {
        "customers": ("customer", "full_name:name email:code city:category segment:category "
            "loyalty_tier:category orders_placed:count store_visits:count browse_minutes:minutes "
            "birth_year:year lifetime_spend:money credit_limit:money distance_km:measure "
            "discount_pct:pct satisfaction:score is_member:flag opted_in:flag "
            "signup_date:date last_order_date:date"),
        "products": ("product", "product_name:name sku:code brand:category category:category "
            "aisle:category units_in_stock:count reorder_level:count shelf_minutes:minutes "
            "launch_year:year unit_price:money unit_cost:money weight_kg:measure "
            "margin_pct:pct review_score:score is_organic:flag discontinued:flag "
            "launched_on:date restocked_on:date description:text"),
        "stores": ("store", "store_name:name city:category region:category format:category "
            "staff_count:count checkouts:count opening_minutes:minutes opened_year:year "
            "monthly_rent:money sales_target:money floor_area_m2:measure distance_km:measure "
            "vacancy_pct:pct rating:score has_parking:flag open_sunday:flag opened_on:date "
            "renovated_on:date"),
        "orders": ("order", "order_number:code channel:category order_status:category "
            "payment_method:category item_count:count units:count packing_minutes:minutes "
            "order_total:money shipping_fee:money parcel_kg:measure discount_pct:pct "
            "is_gift:flag is_paid:flag ordered_on:date shipped_on:date courier:name "
            "delivered_at:timestamp"),
    },
    "healthcare": {
        "patients": ("patient", "full_name:name insurer:category blood_type:category "
            "sex:category city:category visits:count prescription_count:count birth_year:year "
            "copay:money deductible:money weight_kg:measure height_cm:measure bmi_pct:pct "
            "risk_score:score is_smoker:flag has_allergy:flag registered_on:date "
            "last_visit_on:date wait_minutes:minutes"),
        "doctors": ("doctor", "full_name:name specialty:category department:category "
            "license_no:code patients_seen:count shifts:count shift_minutes:minutes "
            "graduation_year:year hourly_fee:money salary:money distance_km:measure "
            "bonus_pct:pct rating:score is_surgeon:flag on_call:flag hired_on:date "
            "certified_on:date"),
        "admissions": ("admission", "ward:category admission_type:category outcome:category "
            "bed_code:code nights:count procedures:count triage_minutes:minutes "
            "total_cost:money insurance_paid:money blood_loss_ml:measure oxygen_pct:pct "
            "severity:score is_emergency:flag readmitted:flag admitted_on:date "
            "discharged_on:date discharged_at:timestamp attending:name"),
        "prescriptions": ("prescription", "drug_name:name drug_class:category "
            "route:category refills:count doses:count interval_minutes:minutes "
            "unit_price:money copay:money dose_mg:measure adherence_pct:pct "
            "efficacy:score is_generic:flag controlled:flag prescribed_on:date "
            "expires_on:date"),
    },
    "logistics": {
        "shipments": ("shipment", "tracking_code:code carrier:category service_level:category "
            "shipment_status:category destination:category parcels:count stops:count "
            "transit_minutes:minutes freight_cost:money declared_value:money weight_kg:measure "
            "distance_km:measure damage_pct:pct priority_score:score is_express:flag "
            "is_insured:flag shipped_on:date delivered_on:date picked_up_at:timestamp "
            "delivered_at:timestamp recipient:name"),
        "warehouses": ("warehouse", "warehouse_name:name city:category country:category "
            "climate:category docks:count pallets:count dock_minutes:minutes built_year:year "
            "monthly_rent:money insurance_cost:money area_m2:measure height_m:measure "
            "occupancy_pct:pct safety_score:score is_bonded:flag has_cold_storage:flag "
            "opened_on:date audited_on:date"),
        "vehicles": ("vehicle", "plate:code fleet:category fuel_type:category "
            "vehicle_class:category axles:count seats:count idle_minutes:minutes "
            "model_year:year lease_cost:money fuel_cost:money payload_kg:measure "
            "odometer_km:measure fuel_pct:pct condition_score:score is_electric:flag "
            "needs_service:flag registered_on:date serviced_on:date driver_name:name"),
        "routes": ("route", "route_code:code origin:category destination:category "
            "route_type:category legs:count stops:count planned_minutes:minutes toll_cost:money "
            "revenue:money distance_km:measure elevation_m:measure on_time_pct:pct "
            "difficulty:score is_seasonal:flag has_tolls:flag valid_from:date valid_to:date "
            "planner:name"),
    },
    "education": {
        "students": ("student", "full_name:name major:category cohort:category "
            "campus:category student_number:code credits_earned:count absences:count "
            "study_minutes:minutes enrolment_year:year tuition:money scholarship:money "
            "commute_km:measure attendance_pct:pct gpa:score is_international:flag "
            "has_scholarship:flag enrolled_on:date graduated_on:date"),
        "courses": ("course", "course_title:name course_code:code faculty:category "
            "course_level:category semester:category credits:count seats:count "
            "lecture_minutes:minutes first_year:year course_fee:money lab_budget:money "
            "room_size_m2:measure pass_pct:pct difficulty:score is_online:flag "
            "has_lab:flag starts_on:date ends_on:date"),
        "teachers": ("teacher", "full_name:name subject_area:category teacher_rank:category "
            "office:code courses_taught:count advisees:count office_minutes:minutes "
            "hired_year:year salary:money research_grant:money commute_km:measure "
            "teaching_pct:pct evaluation_score:score is_tenured:flag on_leave:flag "
            "hired_on:date promoted_on:date"),
        "exams": ("exam", "exam_room:category exam_type:category exam_session:category "
            "questions:count retakes:count duration_minutes:minutes exam_fee:money "
            "points:measure score_pct:pct mark:score passed:flag is_final:flag "
            "taken_on:date graded_on:date started_at:timestamp invigilator:name"),
    },
    "sports": {
        "athletes": ("athlete", "full_name:name nationality:category sport:category "
            "position:category bib_code:code caps:count goals_scored:count "
            "minutes_played:minutes birth_year:year wage:money market_value:money "
            "height_cm:measure weight_kg:measure fitness_pct:pct form_score:score "
            "is_captain:flag injured:flag signed_on:date contract_ends_on:date"),
        "clubs": ("club", "club_name:name city:category league:category division:category "
            "club_code:code trophies:count members:count training_minutes:minutes "
            "founded_year:year budget:money ticket_price:money stadium_km:measure "
            "win_pct:pct elo:score is_professional:flag has_academy:flag founded_on:date "
            "promoted_on:date"),
        "fixtures": ("fixture", "venue:category competition:category fixture_round:category "
            "fixture_code:code home_goals:count away_goals:count added_minutes:minutes "
            "season_year:year gate_revenue:money broadcast_fee:money attendance_k:measure "
            "possession_pct:pct excitement:score is_derby:flag went_to_penalties:flag "
            "played_on:date rescheduled_on:date kickoff_at:timestamp referee:name"),
        "tickets": ("ticket", "stand:category ticket_type:category sales_channel:category "
            "seat_code:code seats:count scans:count queue_minutes:minutes price_paid:money "
            "booking_fee:money distance_km:measure discount_pct:pct fan_rating:score "
            "is_season_pass:flag refunded:flag bought_on:date used_on:date "
            "scanned_at:timestamp holder:name"),
    },
    "banking": {
        "clients": ("client", "full_name:name client_segment:category city:category "
            "risk_band:category tax_code:code products_held:count branch_visits:count "
            "call_minutes:minutes birth_year:year net_worth:money monthly_income:money "
            "distance_km:measure savings_pct:pct credit_score:score is_private:flag "
            "has_mortgage:flag onboarded_on:date reviewed_on:date"),
        "accounts": ("account", "iban:code account_type:category currency:category "
            "account_status:category transactions:count overdrafts:count "
            "session_minutes:minutes opened_year:year current_balance:money "
            "overdraft_limit:money interest_pct:pct health_score:score is_joint:flag "
            "frozen:flag opened_on:date closed_on:date holder:name"),
        "payments": ("payment", "payment_ref:code payment_channel:category "
            "payment_status:category merchant_category:category installments:count "
            "retries:count clearing_minutes:minutes payment_amount:money fee_charged:money "
            "distance_km:measure fx_markup_pct:pct fraud_score:score is_recurring:flag "
            "disputed:flag paid_on:date settled_on:date authorised_at:timestamp payee:name"),
        "loans": ("loan", "loan_number:code loan_type:category loan_status:category "
            "collateral:category term_months:count missed_payments:count "
            "review_minutes:minutes principal:money outstanding_balance:money "
            "property_m2:measure interest_pct:pct default_score:score is_secured:flag "
            "restructured:flag granted_on:date matures_on:date officer:name"),
    },
    "energy": {
        "plants": ("plant", "plant_name:name fuel:category grid_zone:category "
            "plant_owner:category plant_code:code turbines:count outage_count:count "
            "ramp_minutes:minutes commissioned_year:year capex:money tariff:money "
            "capacity_mw:measure output_mwh:measure efficiency_pct:pct "
            "reliability_score:score is_renewable:flag is_offline:flag commissioned_on:date "
            "inspected_on:date"),
        "meters": ("meter", "serial_no:code meter_tariff:category district:category "
            "meter_type:category phases:count resets:count outage_minutes:minutes "
            "installed_year:year monthly_bill:money standing_charge:money usage_kwh:measure "
            "exported_kwh:measure battery_pct:pct signal_score:score has_solar:flag "
            "is_smart:flag installed_on:date read_on:date household:name"),
        "readings": ("reading", "reading_source:category quality_flag:category "
            "meter_channel:code samples:count gaps:count interval_minutes:minutes "
            "reading_cost:money energy_kwh:measure voltage_v:measure load_pct:pct "
            "anomaly_score:score is_estimated:flag is_peak:flag read_on:date "
            "read_at:timestamp"),
        "outages": ("outage", "outage_cause:category outage_region:category "
            "outage_severity:category incident_code:code customers_affected:count "
            "crews:count outage_minutes:minutes repair_cost:money compensation:money "
            "lost_mwh:measure restored_pct:pct impact_score:score is_planned:flag "
            "was_weather:flag started_on:date ended_on:date reported_at:timestamp "
            "resolved_at:timestamp engineer:name"),
    },
    "hospitality": {
        "guests": ("guest", "full_name:name nationality:category guest_segment:category "
            "loyalty_level:category passport_no:code stays:count nights_booked:count "
            "spa_minutes:minutes birth_year:year total_spend:money deposit:money "
            "distance_km:measure discount_pct:pct guest_rating:score is_vip:flag "
            "smoker:flag first_stay_on:date last_stay_on:date"),
        "hotels": ("hotel", "hotel_name:name city:category star_class:category "
            "hotel_chain:category hotel_code:code rooms:count floors:count "
            "checkin_minutes:minutes built_year:year room_rate:money city_tax:money "
            "beach_km:measure occupancy_pct:pct review_score:score has_pool:flag "
            "pets_allowed:flag opened_on:date renovated_on:date"),
        "reservations": ("reservation", "room_type:category board:category "
            "booking_channel:category confirmation_code:code nights:count adults:count "
            "late_minutes:minutes nightly_rate:money extras_total:money distance_km:measure "
            "deposit_pct:pct stay_rating:score is_cancelled:flag has_sea_view:flag "
            "arrives_on:date departs_on:date booked_at:timestamp booked_by:name"),
        "restaurants": ("restaurant", "restaurant_name:name cuisine:category "
            "dining_area:category table_code:code covers:count tables_served:count "
            "service_minutes:minutes opened_year:year avg_bill:money tips:money "
            "kitchen_m2:measure wine_markup_pct:pct critic_score:score is_vegan:flag "
            "has_terrace:flag opened_on:date inspected_on:date head_chef:name"),
    },
}  # fmt: skip

# domain -> entity -> the entities it may reference by ``<entity>_id`` (an order has a
# ``customer_id``; a customer has no ``order_id``)
REFERENCES: Mapping[str, Mapping[str, tuple[str, ...]]] = {
    "retail": {"customers": ("stores",), "products": ("stores",), "stores": (),
               "orders": ("customers", "stores", "products")},
    "healthcare": {"patients": ("doctors",), "doctors": (),
                   "admissions": ("patients", "doctors"),
                   "prescriptions": ("patients", "doctors", "admissions")},
    "logistics": {"shipments": ("warehouses", "vehicles", "routes"), "warehouses": (),
                  "vehicles": ("warehouses",), "routes": ("warehouses",)},
    "education": {"students": ("teachers",), "courses": ("teachers",), "teachers": (),
                  "exams": ("students", "courses", "teachers")},
    "sports": {"athletes": ("clubs",), "clubs": (), "fixtures": ("clubs",),
               "tickets": ("fixtures", "clubs")},
    "banking": {"clients": (), "accounts": ("clients",),
                "payments": ("accounts", "clients", "loans"), "loans": ("clients", "accounts")},
    "energy": {"plants": (), "meters": ("plants",), "readings": ("meters", "plants"),
               "outages": ("plants", "meters")},
    "hospitality": {"guests": (), "hotels": (), "restaurants": ("hotels",),
                    "reservations": ("guests", "hotels", "restaurants")},
}  # fmt: skip

_PEOPLE = ("Ana Silva", "Ben Okafor", "Chen Wei", "Dana Novak", "Emil Berg", "Farah Khan")
POOLS: Mapping[str, tuple[str, ...]] = {
    "full_name": _PEOPLE, "courier": _PEOPLE, "attending": _PEOPLE, "recipient": _PEOPLE,
    "driver_name": _PEOPLE, "planner": _PEOPLE, "invigilator": _PEOPLE, "referee": _PEOPLE,
    "holder": _PEOPLE, "payee": ("Acme Ltd", "Globex", "City Water", "Nordic Air"),
    "officer": _PEOPLE, "household": ("Berg family", "Novak family", "Okafor family"),
    "engineer": _PEOPLE, "booked_by": _PEOPLE, "head_chef": _PEOPLE,
    "city": ("Oslo", "Lima", "Osaka", "Porto", "Nairobi"),
    "country": ("Norway", "Peru", "Japan", "Portugal", "Kenya"),
    "nationality": ("Norwegian", "Peruvian", "Japanese", "Portuguese", "Kenyan"),
    "region": ("north", "south", "east", "west"), "district": ("north", "south", "harbour"),
    "segment": ("consumer", "business", "student"), "loyalty_tier": ("gold", "silver", "bronze"),
    "email": ("ana@example.com", "ben@example.com", "wei@example.com"),
    "product_name": ("desk lamp", "rain jacket", "coffee beans", "yoga mat"),
    "sku": ("SKU-1001", "SKU-2040", "SKU-3300"), "brand": ("Acme", "Globex", "Initech"),
    "category": ("books", "garden", "toys", "grocery"), "aisle": ("A1", "B4", "C2"),
    "store_name": ("Main Street", "Harbour Mall", "Airport"),
    "format": ("mall", "street", "outlet"),
    "order_number": ("ORD-1001", "ORD-1002", "ORD-2001"), "channel": ("web", "mobile", "store"),
    "order_status": ("placed", "shipped", "delivered", "returned"),
    "payment_method": ("card", "cash", "voucher"), "description": ("new", "refurbished"),
    "insurer": ("Acme Health", "Vita", "Medicare"), "blood_type": ("A+", "O-", "B+", "AB+"),
    "sex": ("female", "male"), "specialty": ("cardiology", "oncology", "pediatrics"),
    "department": ("surgery", "radiology", "emergency"),
    "subject_area": ("physics", "history", "mathematics"),
    "license_no": ("LIC-77", "LIC-81", "LIC-93"), "ward": ("A", "B", "ICU", "maternity"),
    "admission_type": ("elective", "urgent", "transfer"),
    "outcome": ("recovered", "transferred", "deceased"), "bed_code": ("B-12", "C-03", "ICU-2"),
    "drug_name": ("ibuprofen", "amoxicillin", "metformin"),
    "drug_class": ("analgesic", "antibiotic", "antidiabetic"), "route": ("oral", "iv", "topical"),
    "tracking_code": ("TRK-001", "TRK-002", "TRK-100"), "carrier": ("DHL", "UPS", "FedEx"),
    "service_level": ("standard", "express", "overnight"),
    "shipment_status": ("pending", "in_transit", "delivered"),
    "destination": ("Oslo", "Lima", "Osaka", "Porto"), "origin": ("Oslo", "Lima", "Osaka"),
    "warehouse_name": ("North Hub", "Port Depot", "Airport Cargo"),
    "climate": ("ambient", "chilled", "frozen"), "plate": ("AB-123", "CD-456", "EF-789"),
    "fleet": ("city", "regional", "long_haul"), "fuel_type": ("diesel", "electric", "petrol"),
    "vehicle_class": ("van", "truck", "bike"), "route_code": ("R1", "R2", "R7"),
    "route_type": ("urban", "rural", "highway"), "major": ("biology", "law", "physics"),
    "cohort": ("2022", "2023", "2024"), "campus": ("north", "south", "city"),
    "student_number": ("S-1001", "S-1002", "S-2001"),
    "course_title": ("Algebra I", "Databases", "Ethics"), "course_code": ("CS101", "MA201"),
    "faculty": ("science", "arts", "law"), "course_level": ("intro", "advanced", "graduate"),
    "semester": ("spring", "autumn"), "teacher_rank": ("lecturer", "professor", "assistant"),
    "office": ("A-101", "B-202", "C-303"), "exam_room": ("hall A", "hall B", "lab 3"),
    "exam_type": ("written", "oral", "practical"), "exam_session": ("winter", "summer"),
    "sport": ("football", "tennis", "rowing"), "position": ("keeper", "defender", "forward"),
    "bib_code": ("B7", "B10", "B23"), "club_name": ("FC Harbour", "City United", "Rovers"),
    "league": ("premier", "first", "second"), "division": ("north", "south"),
    "club_code": ("FCH", "CUN", "ROV"), "venue": ("home", "away", "neutral"),
    "competition": ("league", "cup", "friendly"), "fixture_round": ("group", "quarter", "final"),
    "fixture_code": ("F-01", "F-02", "F-10"), "stand": ("north", "south", "east", "west"),
    "ticket_type": ("adult", "child", "senior"), "sales_channel": ("online", "box_office"),
    "seat_code": ("N-12", "S-04", "E-31"), "client_segment": ("retail", "private", "sme"),
    "risk_band": ("low", "medium", "high"), "tax_code": ("TX-1", "TX-2", "TX-3"),
    "iban": ("NO93 8601 1117 947", "PT50 0002 0123"), "account_type": ("checking", "savings"),
    "currency": ("EUR", "USD", "NOK"), "account_status": ("open", "frozen", "closed"),
    "payment_ref": ("P-0001", "P-0002", "P-0100"),
    "payment_channel": ("card", "transfer", "direct_debit"),
    "payment_status": ("pending", "settled", "failed"),
    "merchant_category": ("grocery", "travel", "fuel"), "loan_number": ("L-01", "L-02", "L-09"),
    "loan_type": ("mortgage", "car", "personal"), "loan_status": ("current", "late", "repaid"),
    "collateral": ("house", "car", "none"), "plant_name": ("Fjord Hydro", "Sun Valley", "Coast"),
    "fuel": ("hydro", "solar", "wind", "gas"), "grid_zone": ("NO1", "NO2", "NO5"),
    "plant_owner": ("state", "municipal", "private"), "plant_code": ("PL-1", "PL-2", "PL-9"),
    "serial_no": ("M-1001", "M-1002", "M-2001"), "meter_tariff": ("flat", "peak", "night"),
    "meter_type": ("analog", "digital", "smart"), "reading_source": ("meter", "estimate"),
    "quality_flag": ("good", "suspect", "missing"), "meter_channel": ("A", "B", "C"),
    "outage_cause": ("storm", "fault", "maintenance"), "outage_region": ("north", "south"),
    "outage_severity": ("minor", "major", "critical"), "incident_code": ("INC-1", "INC-2"),
    "guest_segment": ("leisure", "business", "group"),
    "loyalty_level": ("gold", "silver", "basic"), "passport_no": ("P123", "P456", "P789"),
    "hotel_name": ("Harbour Inn", "Grand Oslo", "Sea View"), "star_class": ("3", "4", "5"),
    "hotel_chain": ("Nordic", "Atlantic", "independent"), "hotel_code": ("H-1", "H-2", "H-3"),
    "room_type": ("single", "double", "suite"), "board": ("room_only", "breakfast", "full"),
    "booking_channel": ("web", "agency", "phone"), "confirmation_code": ("C-100", "C-200"),
    "restaurant_name": ("Fjord", "La Mar", "Sakura"), "cuisine": ("nordic", "peruvian", "sushi"),
    "dining_area": ("terrace", "hall", "bar"), "table_code": ("T1", "T2", "T12"),
    "ref_code": ("R-001", "R-002", "R-003"), "notes": ("checked", "follow up", "none"),
}  # fmt: skip

# words a question may use in any domain (besides the schema's nouns, its literals, numbers)
GENERAL_WORDS = frozenset(
    """a about above across after all also among an and any are as ascending at average
    avg based be before below between biggest both but by case cheapest column columns
    combined compared count counts cumulative daily date dates day days decimals descending
    difference distinct do does down each earliest else empty end equal equals every except
    exactly fewer first for from full gap given greater group grouped having highest how id
    ids if in including is it its joined largest last latest least less longest lowest many
    max maximum mean median min minimum minus missing month monthly months more most moving
    much n name names net never new next no non none not null nulls number numbers of on
    once one only or order ordered other others over overall pair pairs per percent place
    plus position previous rank ranked ranking rate ratio record records row rows running
    same share shortest since smallest so sorted starting sum than that the their them then
    there these they this those three through ties time times to top total totals two under
    unique until up upper value values week weekly were what when where whether which while
    who whose with within without year yearly years zero
    again afterwards around band bands best big bigger bin bucket buckets case cased change
    changed character characters contain contains dense did different done duplicate
    duplicates earlier even factor first float fraction had has have higher hour hours
    ignoring include includes iso key keys kept label labelled larger later left len length
    long longer lower match matching minute neighbour numbered odd part pos prefix prev
    quarter quarterly range recent right round rounded s second seconds seen short shorter
    size smaller spelling stats step steps suffix ten text threshold thresholds trimmed
    weighted worst""".split()  # noqa: SIM905
)  # fmt: skip
# unit spellings a column name abbreviates: ``duration_min`` lets a question say "minutes"
UNIT_WORDS: Mapping[str, tuple[str, ...]] = {
    "min": ("minute", "minutes"), "minutes": ("minute",), "km": ("kilometres", "kilometers"),
    "kg": ("kilograms", "kilos"), "pct": ("percent", "percentage", "%"), "mw": ("megawatts",),
    "m2": ("square", "metres"), "cm": ("centimetres",), "ml": ("millilitres",),
    "kwh": ("kilowatt", "hours"), "mwh": ("megawatt", "hours"), "k": ("thousand",),
}  # fmt: skip
_NUMERIC_ROLES = (
    ("year", re.compile(r"(^|_)(year|founded|season)$")),
    ("minutes", re.compile(r"(_min|minutes)$")),
    ("seconds", re.compile(r"(_s|seconds)$")),
    ("pct", re.compile(r"(_pct|percent|_rate_pct)$")),
    ("money", re.compile(
        r"(price|cost|fee|salary(_min|_max)?|budget|amount|fare|premium|balance|value|net|tip"
        r"|rate|revenue|fine|target|spend|income|wage|bill)$")),
    ("score", re.compile(r"(score|grade|mark|rating|level)$")),
    ("count", re.compile(
        r"(qty|quantity|units|seats|visitors|votes|sold|refills|stars|likes|guests|bedrooms"
        r"|credits|registered|additions|deletions|capacity|stock|goals|_no|quarter|count"
        r"|visits|nights)$")),
)  # fmt: skip
_STRING_ROLES = (
    ("code", re.compile(r"(code|sha|plate|sku|symbol|zip|email|url|_no)$")),
    ("name", re.compile(
        r"(name|owner|holder|customer|guest|applicant|author|artist|title|nickname|rep"
        r"|lecturer|dish|handle|company|household|client|driver|player|agent|manager)$")),
    ("text", re.compile(r"(memo|subject|body|description|notes|comment)$")),
)  # fmt: skip
_FAMILY = (
    ("bool", "boolean"), ("int", "int"), ("uint", "int"), ("float", "float"),
    ("decimal", "float"), ("string", "string"), ("timestamp", "timestamp"), ("date", "date"),
)  # fmt: skip


@dataclass(frozen=True)
class Column:
    name: str
    role: str


def dtype_family(dtype: str) -> str | None:
    """``int``, ``float``, ``string``, ``boolean``, ``date`` or ``timestamp``; None otherwise."""
    lowered = dtype.lower().lstrip("!")
    return next((family for prefix, family in _FAMILY if lowered.startswith(prefix)), None)


def is_key(column: str) -> bool:
    return column == "id" or column.endswith("_id")


def column_role(column: str, dtype: str) -> str | None:
    """The role of a template column from its name and dtype; None for a key or an unknown type."""
    family = dtype_family(dtype)
    if is_key(column) or family is None:
        return None
    if family in ("boolean", "date", "timestamp"):
        return {"boolean": "flag"}.get(family, family)
    lowered = column.lower()
    roles = _STRING_ROLES if family == "string" else _NUMERIC_ROLES
    found = next((role for role, pattern in roles if pattern.search(lowered)), None)
    if found is not None and family in ROLE_FAMILIES[found]:
        return found
    return "category" if family == "string" else "measure"


@cache
def entity_columns(domain: str, entity: str) -> dict[str, Column]:
    """The columns an entity of ``domain`` may have (its own and the domain's common ones)."""
    _, spec = DOMAINS[domain][entity]
    columns = {}
    for token in f"{spec} {COMMON}".split():
        name, role = token.split(":")
        columns[name] = Column(name, role)
    return columns


@cache
def entities_named(table: str) -> tuple[tuple[str, str], ...]:
    """Every (domain, entity) whose table is called ``table``."""
    return tuple((d, e) for d, entities in DOMAINS.items() for e in entities if e == table)


def entity_keys(domain: str, entity: str) -> frozenset[str]:
    """The key columns an entity may have: ``id``, its own ``<entity>_id`` and the key of each
    entity it references."""
    entities = DOMAINS[domain]
    ones = [entities[entity][0], *(entities[parent][0] for parent in REFERENCES[domain][entity])]
    return frozenset({"id", *(f"{one}_id" for one in ones)})


def vocabulary_words(name: str) -> set[str]:
    """The words a question may use for a name: its parts, the whole, units spelled out."""
    parts = [p for p in re.split(r"[_\s]+", name.lower()) if p]
    words = {name.lower(), " ".join(parts), *parts}
    for part in parts:
        words.update(UNIT_WORDS.get(part, ()))
        words.update(_plural_forms(part))
    return words


def _plural_forms(word: str) -> set[str]:
    """Plurals and the simple verb forms of a name's part (``delay``: ``delays``, ``delayed``)."""
    stem = word[:-1] if word.endswith("e") else word
    verbs = {stem + "ed", stem + "ing"} if len(word) > 3 else set()
    if word.endswith("y") and len(word) > 2 and word[-2] not in "aeiou":
        return {word[:-1] + "ies", word[:-1] + "ied"} | verbs
    if word.endswith("s"):
        return {word[:-1], word + "es"} | verbs
    return {word + "s", word + "es"} | verbs
