# ruff: noqa: E501  (a table of words: one domain per paragraph reads better than wrapped lines)
"""Domain vocabularies for synthetic worlds: the nouns, categories and measures of one field.

A world takes every table and column name from one vocabulary, so its schema reads as one
business (a hospital's admissions, wards and physicians), never a mix of several.

>>> len(VOCABULARIES) >= 40
True
>>> retail = VOCABULARIES["retail"]
>>> retail.things[:2], retail.categories["region"][:2]
(('customer', 'store'), ('North', 'South'))
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType


@dataclass(frozen=True)
class Vocabulary:
    """The words of one domain. ``things`` are entities (dimension tables), ``events`` what
    happens to them (fact tables); the rest are column names by role, categories with the
    values they take."""

    domain: str
    things: tuple[str, ...]
    events: tuple[str, ...]
    categories: Mapping[str, tuple[str, ...]]
    counts: tuple[str, ...]
    money: tuple[str, ...]
    measures: tuple[str, ...]
    texts: tuple[str, ...]
    dates: tuple[str, ...]
    flags: tuple[str, ...]


# One domain per paragraph: `domain`, then `key: words` lines. Categories are
# `name=value,value,...` separated by `;`. Every world also has the generic columns below.
_DOMAINS = """
retail
things: customer store product supplier brand
events: sale refund
categories: region=North,South,East,West; channel=online,in store,phone; status=pending,paid,shipped,cancelled
counts: quantity units_in_stock; money: amount unit_price discount; measures: weight_kg rating
texts: email notes; dates: order_date ship_date; flags: is_member is_gift

logistics
things: warehouse carrier vehicle route driver
events: shipment delivery
categories: service_level=standard,express,overnight; status=planned,in transit,delivered,lost; region=EMEA,APAC,AMER
counts: parcels pallets; money: freight_cost fuel_cost; measures: distance_km weight_kg
texts: tracking_code remarks; dates: pickup_date delivery_date; flags: is_fragile is_insured

healthcare
things: patient physician ward hospital insurer
events: admission prescription
categories: department=cardiology,oncology,pediatrics,neurology; severity=low,medium,high,critical; blood_type=A,B,AB,O
counts: length_of_stay doses; money: billed_amount copay; measures: temperature_c dosage_mg
texts: diagnosis notes; dates: admitted_on discharged_on; flags: is_emergency is_insured

banking
things: account branch client advisor product
events: transaction loan
categories: account_type=checking,savings,business; currency=EUR,USD,GBP,CHF; risk_band=low,medium,high
counts: installments overdraft_days; money: balance amount interest_paid; measures: interest_rate credit_score
texts: iban memo; dates: opened_on value_date; flags: is_frozen is_joint

education
things: student course teacher department school
events: enrollment exam
categories: grade_level=freshman,sophomore,junior,senior; term=spring,summer,fall; mode=online,on campus,hybrid
counts: credits absences; money: tuition_fee scholarship; measures: score gpa
texts: email thesis_title; dates: enrolled_on graduated_on; flags: is_fulltime is_international

sports
things: player team coach stadium league
events: game transfer
categories: position=goalkeeper,defender,midfielder,forward; division=premier,first,second; result=win,draw,loss
counts: goals assists; money: salary transfer_fee; measures: height_cm minutes_played
texts: nickname notes; dates: signed_on played_on; flags: is_captain is_injured

energy
things: plant turbine substation grid_operator meter
events: reading outage
categories: fuel_type=solar,wind,hydro,gas,coal; voltage_class=low,medium,high; region=north,south,central
counts: customers_affected repairs; money: tariff maintenance_cost; measures: output_mwh capacity_mw
texts: site_code remarks; dates: commissioned_on read_on; flags: is_renewable is_offline

telecom
things: subscriber plan tower device handset_model
events: call_record invoice
categories: plan_type=prepaid,postpaid,family; network=3G,4G,5G; status=active,suspended,closed
counts: sms_count dropped_calls; money: monthly_fee charge; measures: data_gb duration_min
texts: phone_number notes; dates: activated_on billed_on; flags: is_roaming is_ported

agriculture
things: farm field crop farmer cooperative
events: harvest sale
categories: crop_type=wheat,corn,barley,soy,rice; soil=clay,sand,loam,silt; season=spring,summer,autumn,winter
counts: workers bags; money: price subsidy; measures: yield_tonnes area_ha
texts: parcel_code notes; dates: planted_on harvested_on; flags: is_organic is_irrigated

government
things: agency department official district program
events: permit grant
categories: permit_type=building,business,event,parking; status=submitted,approved,rejected; level=local,regional,national
counts: applicants inspections; money: budget fee; measures: processing_days satisfaction
texts: reference_no summary; dates: filed_on decided_on; flags: is_public is_urgent

hospitality
things: hotel room guest chain staff_member
events: booking review
categories: room_type=single,double,suite,family; board=room only,breakfast,half board,full board; source=direct,agency,website
counts: nights guests_count; money: rate total_charge; measures: rating floor_area_m2
texts: guest_email comments; dates: check_in check_out; flags: is_refundable is_vip

aviation
things: airline aircraft airport pilot route
events: flight booking
categories: cabin=economy,premium,business,first; status=scheduled,boarded,departed,cancelled; alliance=oneworld,skyteam,star
counts: seats passengers; money: fare fuel_cost; measures: delay_minutes distance_km
texts: flight_code remarks; dates: departure_date arrival_date; flags: is_codeshare is_international

real_estate
things: home agent owner neighborhood agency
events: listing viewing
categories: property_type=house,apartment,condo,townhouse; status=for sale,under offer,sold; heating=gas,electric,heat pump
counts: bedrooms bathrooms; money: asking_price sale_price; measures: floor_area_m2 lot_size_m2
texts: address description; dates: listed_on sold_on; flags: has_garage has_garden

manufacturing
things: factory machine product_line operator part
events: work_order inspection
categories: shift=morning,afternoon,night; status=queued,running,done,scrapped; grade=A,B,C
counts: units_produced defects; money: unit_cost scrap_cost; measures: cycle_time_s temperature_c
texts: serial_no notes; dates: started_on finished_on; flags: is_automated is_certified

insurance
things: policyholder policy agent insurer vehicle
events: claim payment
categories: coverage=basic,standard,premium; claim_type=collision,theft,fire,flood; status=open,approved,denied,paid
counts: claims_count years_insured; money: premium payout deductible; measures: risk_score age
texts: policy_no description; dates: issued_on reported_on; flags: is_fraud_suspected is_renewed

media
things: channel show episode presenter network
events: broadcast rating_report
categories: genre=news,drama,comedy,sport,documentary; slot=morning,daytime,prime time,late; format=live,recorded
counts: viewers episodes_count; money: ad_revenue production_cost; measures: share_pct duration_min
texts: title synopsis; dates: aired_on premiered_on; flags: is_live is_repeat

publishing
things: author book publisher editor series
events: sale royalty
categories: genre=fiction,biography,science,history,poetry; format=hardcover,paperback,ebook,audio; language=English,French,German,Spanish
counts: pages copies_sold; money: list_price royalty_amount; measures: rating word_count
texts: isbn blurb; dates: published_on sold_on; flags: is_bestseller is_translated

music
things: artist album track label venue
events: stream concert
categories: genre=rock,pop,jazz,classical,hip hop; mood=calm,upbeat,sad,energetic; market=US,UK,DE,JP
counts: plays tickets_sold; money: ticket_price revenue; measures: duration_s tempo_bpm
texts: title lyrics_excerpt; dates: released_on performed_on; flags: is_explicit is_sold_out

gaming
things: player game studio server guild
events: session purchase
categories: platform=pc,console,mobile; region=NA,EU,ASIA; tier=free,premium,vip
counts: kills levels_cleared; money: price spend; measures: playtime_min score
texts: gamertag notes; dates: joined_on played_on; flags: is_banned is_premium

automotive
things: dealer car model buyer workshop
events: sale service_visit
categories: fuel=petrol,diesel,electric,hybrid; body=sedan,suv,hatchback,van; condition=new,used,certified
counts: doors previous_owners; money: price labor_cost; measures: mileage_km engine_kw
texts: vin notes; dates: sold_on serviced_on; flags: is_financed is_recalled

food_service
things: restaurant dish chef supplier customer
events: order delivery
categories: cuisine=italian,thai,mexican,indian,french; course=starter,main,dessert,drink; channel=dine in,takeaway,delivery
counts: covers portions; money: price tip; measures: calories prep_minutes
texts: dish_name allergens; dates: ordered_on delivered_on; flags: is_vegan is_spicy

pharmacy
things: drug manufacturer pharmacist pharmacy patient
events: dispensation recall
categories: form=tablet,capsule,syrup,injection; schedule=OTC,Rx,controlled; therapeutic_area=pain,cardio,diabetes,respiratory
counts: pack_size refills; money: unit_price copay; measures: strength_mg shelf_life_days
texts: ndc_code label_text; dates: dispensed_on expires_on; flags: is_generic is_refrigerated

human_resources
things: employee department position manager office
events: payroll_run leave_request
categories: contract=permanent,temporary,intern; level=junior,mid,senior,lead; location=remote,office,hybrid
counts: vacation_days overtime_hours; money: salary bonus; measures: performance_score tenure_years
texts: work_email notes; dates: hired_on started_on; flags: is_remote is_manager

legal
things: lawyer client court firm judge
events: case_file hearing
categories: practice_area=corporate,criminal,family,tax; outcome=won,lost,settled,pending; court_level=district,appeal,supreme
counts: billable_hours witnesses; money: fee settlement_amount; measures: duration_days complexity
texts: docket_no summary; dates: filed_on decided_on; flags: is_pro_bono is_sealed

construction
things: project contractor site supplier engineer
events: purchase_order inspection
categories: phase=design,foundation,structure,finishing; status=planned,active,delayed,done; material=steel,concrete,timber,glass
counts: workers floors; money: budget cost; measures: area_m2 completion_pct
texts: permit_no notes; dates: started_on due_on; flags: is_public is_delayed

tourism
things: tour guide destination traveler operator
events: reservation review
categories: tour_type=city,nature,culture,adventure; language=English,Spanish,French,Japanese; season=high,shoulder,low
counts: group_size stops; money: price tip; measures: rating duration_h
texts: itinerary comments; dates: booked_on travel_date; flags: is_private is_refunded

nonprofit
things: donor campaign volunteer program chapter
events: donation event
categories: cause=health,education,environment,poverty; channel=online,mail,event,phone; frequency=one off,monthly,yearly
counts: attendees volunteers_count; money: amount goal; measures: hours_served satisfaction
texts: donor_email message; dates: donated_on held_on; flags: is_recurring is_anonymous

environment
things: station sensor river region agency
events: measurement incident
categories: pollutant=PM2.5,NO2,O3,SO2; medium=air,water,soil; alert_level=green,yellow,orange,red
counts: exceedances samples; money: fine cleanup_cost; measures: concentration temperature_c
texts: station_code remarks; dates: measured_on reported_on; flags: is_calibrated is_urban

library
things: member book branch author librarian
events: loan reservation
categories: genre=fiction,history,science,children,poetry; format=print,ebook,audio; membership=child,adult,senior
counts: renewals copies; money: late_fee deposit; measures: days_overdue rating
texts: call_number notes; dates: borrowed_on returned_on; flags: is_reference is_lost

fitness
things: member gym trainer class_type plan
events: visit payment
categories: membership=basic,plus,premium; activity=yoga,spin,weights,swim; time_slot=morning,noon,evening
counts: visits_count reps; money: monthly_fee amount; measures: calories_burned duration_min
texts: email goals; dates: joined_on visited_on; flags: is_active_member is_trial

ecommerce
things: seller listing buyer category warehouse
events: purchase return_request
categories: payment_method=card,paypal,bank transfer,voucher; status=placed,shipped,delivered,returned; marketplace=US,EU,UK
counts: quantity page_views; money: price shipping_fee; measures: rating weight_kg
texts: title review_text; dates: purchased_on delivered_on; flags: is_prime is_returned

cybersecurity
things: host analyst vulnerability vendor network_segment
events: alert incident
categories: severity=low,medium,high,critical; category=malware,phishing,ddos,insider; status=new,triaged,closed
counts: affected_hosts attempts; money: remediation_cost loss; measures: cvss_score dwell_hours
texts: hostname summary; dates: detected_on resolved_on; flags: is_false_positive is_patched

mining_industry
things: mine shaft crew equipment mineral
events: extraction safety_incident
categories: mineral_type=gold,copper,iron,coal,lithium; shift=day,night; method=open pit,underground
counts: injuries loads; money: operating_cost sale_value; measures: tonnes grade_pct
texts: permit_code notes; dates: mined_on reported_on; flags: is_active_site is_reportable

shipping
things: vessel port shipping_line captain container
events: voyage port_call
categories: vessel_type=tanker,bulk,container,ro ro; flag_state=Panama,Liberia,Malta,Greece; status=at sea,berthed,anchored
counts: teu crew_size; money: charter_rate port_fee; measures: draft_m speed_knots
texts: imo_number remarks; dates: departed_on arrived_on; flags: is_hazardous is_delayed

research
things: researcher grant lab paper institution
events: experiment citation
categories: field=biology,physics,chemistry,economics; funder=public,private,charity; status=draft,submitted,published
counts: citations_count authors_count; money: amount spend; measures: impact_factor duration_months
texts: doi abstract_text; dates: submitted_on published_on; flags: is_open_access is_peer_reviewed

events_industry
things: venue organizer attendee speaker sponsor
events: ticket session
categories: ticket_type=standard,vip,student,early bird; track=tech,business,design; status=booked,checked in,no show
counts: capacity attendees_count; money: price sponsorship_amount; measures: rating duration_min
texts: badge_name notes; dates: booked_on held_on; flags: is_virtual is_sold_out

veterinary
things: pet owner vet clinic breed
events: appointment vaccination
categories: species=dog,cat,rabbit,bird; visit_type=checkup,surgery,emergency,dental; status=booked,done,missed
counts: visits_count doses; money: fee medication_cost; measures: weight_kg age_years
texts: pet_name notes; dates: visited_on due_on; flags: is_neutered is_insured

water_utility
things: customer meter pipe_segment treatment_plant district
events: reading leak_report
categories: tariff=residential,commercial,industrial; material=PVC,cast iron,steel,copper; priority=low,medium,high
counts: households repairs; money: bill_amount repair_cost; measures: consumption_m3 pressure_bar
texts: meter_serial remarks; dates: read_on reported_on; flags: is_smart_meter is_disputed

transit
things: line stop vehicle operator depot
events: trip fare_payment
categories: mode=bus,tram,metro,ferry; fare_type=single,day pass,monthly,student; status=on time,late,cancelled
counts: boardings alightings; money: fare revenue; measures: delay_minutes distance_km
texts: stop_code notes; dates: ran_on paid_on; flags: is_accessible is_night_service

marketing
things: campaign channel audience creative agency
events: impression conversion
categories: objective=awareness,consideration,conversion; platform=search,social,display,email; region=NA,EMEA,APAC
counts: clicks impressions_count; money: spend revenue; measures: ctr_pct bounce_rate
texts: headline landing_url; dates: launched_on converted_on; flags: is_retargeting is_paused

customer_support
things: agent customer product team queue
events: ticket chat
categories: priority=low,normal,high,urgent; channel=email,chat,phone,web; status=open,pending,solved,closed
counts: replies reopen_count; money: refund_amount credit; measures: first_response_min satisfaction
texts: subject body; dates: opened_on solved_on; flags: is_escalated is_vip

wine
things: winery vineyard wine distributor region
events: shipment tasting
categories: color=red,white,rose,sparkling; grape=merlot,chardonnay,riesling,syrah; closure=cork,screw cap
counts: bottles cases; money: price duty; measures: alcohol_pct score
texts: label notes; dates: bottled_on shipped_on; flags: is_organic is_reserve

astronomy
things: telescope observer star_system observatory instrument
events: observation proposal
categories: band=optical,infrared,radio,x ray; status=proposed,approved,observed; site=north,south,orbit
counts: exposures frames; money: budget cost; measures: magnitude exposure_s
texts: target_name notes; dates: observed_on proposed_on; flags: is_calibrated is_public_data

parking
things: garage space operator vehicle permit_holder
events: parking_session citation
categories: zone=A,B,C,D; vehicle_class=car,motorcycle,van,truck; payment=app,card,cash
counts: spaces_total violations; money: fee fine; measures: duration_min occupancy_pct
texts: plate_number notes; dates: parked_on issued_on; flags: is_covered is_ev_charging
"""


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


def _parse(text: str) -> dict[str, Vocabulary]:
    vocabularies: dict[str, Vocabulary] = {}
    for block in text.strip().split("\n\n"):
        domain, *lines = block.strip().splitlines()
        fields: dict[str, str] = {}
        for line in lines:
            for part in line.split("; ") if not line.startswith("categories:") else [line]:
                key, _, value = part.partition(": ")
                fields[key.strip()] = value.strip()
        categories = {}
        for entry in fields["categories"].split("; "):
            name, _, values = entry.partition("=")
            categories[name.strip()] = tuple(v.strip() for v in values.split(","))
        vocabularies[domain] = Vocabulary(
            domain=domain,
            things=_words(fields["things"]),
            events=_words(fields["events"]),
            categories=MappingProxyType(categories),
            counts=_words(fields["counts"]),
            money=_words(fields["money"]),
            measures=_words(fields["measures"]),
            texts=_words(fields["texts"]),
            dates=_words(fields["dates"]),
            flags=_words(fields["flags"]),
        )
    return vocabularies


VOCABULARIES: Mapping[str, Vocabulary] = MappingProxyType(_parse(_DOMAINS))
"""Every domain's vocabulary, by domain name."""

# The values a measure or count takes where its word bounds them (a rating, a share, a person's
# age, a home's floor area), so that a question asks for "a rating above 3" and "a floor area
# above 50", never for "a rating above 50", "tenure years between 100 and 200" or "a floor area
# between 1 and 4". Words ending in `_pct` are shares of 100; others start at 0.
_RANGES = {
    # measures
    "age": (18, 90), "age_years": (0, 90), "alcohol_pct": (0, 20), "area_m2": (10, 1000),
    "bounce_rate": (0, 100), "calories": (50, 1500), "calories_burned": (50, 1500),
    "complexity": (0, 10), "credit_score": (300, 850), "cvss_score": (0, 10),
    "draft_m": (0, 20), "floor_area_m2": (20, 500), "gpa": (0, 4), "height_cm": (50, 250),
    "impact_factor": (0, 50), "interest_rate": (0, 20), "lot_size_m2": (100, 5000),
    "magnitude": (0, 9), "performance_score": (0, 100), "pressure_bar": (0, 10),
    "rating": (0, 5), "risk_score": (0, 100), "satisfaction": (0, 10), "score": (0, 100),
    "speed_knots": (0, 40), "temperature_c": (-20, 45), "tempo_bpm": (60, 200),
    "tenure_years": (0, 40), "word_count": (100, 10000),
    # counts
    "absences": (0, 30), "assists": (0, 10), "bags": (0, 5), "bathrooms": (1, 5),
    "bedrooms": (1, 8), "credits": (0, 30), "crew_size": (1, 50), "doors": (1, 6),
    "doses": (1, 4), "floors": (1, 50), "goals": (0, 10), "group_size": (1, 20),
    "guests_count": (1, 20), "injuries": (0, 10), "installments": (1, 36),
    "length_of_stay": (1, 60), "nights": (1, 30), "pack_size": (1, 24), "portions": (1, 10),
    "previous_owners": (0, 5), "refills": (0, 12), "renewals": (0, 10),
    "vacation_days": (0, 40), "witnesses": (0, 10), "years_insured": (0, 40),
}  # fmt: skip


def plausible_range(words: str) -> tuple[int, int] | None:
    """The smallest and largest value a column named by ``words`` plausibly holds; None where
    its word sets no bounds (an amount, a distance).

    >>> plausible_range("rating"), plausible_range("occupancy_pct"), plausible_range("distance_km")
    ((0, 5), (0, 100), None)
    """
    if words in _RANGES:
        return _RANGES[words]
    return (0, 100) if words.endswith("_pct") else None
