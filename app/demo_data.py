"""Believable demo content: two teams, their people, and customers across the eight buying stages."""

from __future__ import annotations

DEMO_PASSWORD = "mou-demo-password"  # noqa: S105 - printed for local demos only

TEAMS = (("Enterprise East", "structured"), ("Mid-Market West", "conversational"))

PEOPLE = (
    # email, name, role, team index (None for the admin)
    ("admin@demo.mou-assistant.example", "Ada Okafor", "admin", None),
    ("maria.nunez@demo.mou-assistant.example", "María Núñez", "manager", 0),
    ("dana.whitfield@demo.mou-assistant.example", "Dana Whitfield", "rep", 0),
    ("leo.park@demo.mou-assistant.example", "Leo Park", "rep", 0),
    ("tom.becker@demo.mou-assistant.example", "Tom Becker", "manager", 1),
    ("sam.reed@demo.mou-assistant.example", "Sam Reed", "rep", 1),
    ("priya.shah@demo.mou-assistant.example", "Priya Shah", "rep", 1),
)

# One customer per buying stage; each memo's elements are written the way a good rep would.
CUSTOMERS = (
    {
        "company": "Harborline Logistics",
        "customer_name": "Grace Liu",
        "customer_email": "grace.liu@harborline.example",
        "stage": "change",
        "situation": "Harborline runs 42 depots on a 2014 route-planning system; dispatchers rebuild "
        "routes by hand every morning in spreadsheets.",
        "goals": "Cut planning time from three hours to under 30 minutes a day and lift on-time "
        "deliveries from 86% to 95% by Q3.",
        "obstacles": "The current system cannot take live traffic data, and two dispatchers hold most "
        "of the routing knowledge in their heads.",
        "complications": "The COO must sign off any spend over $50k, and the board wants the depot "
        "consolidation finished before new software goes in.",
        "next_step": "You will share last month's route exports with us by Friday.",
    },
    {
        "company": "Calder Foods",
        "customer_name": "Marcus Oyelaran",
        "customer_email": "marcus@calderfoods.example",
        "stage": "discontent",
        "situation": "Calder's three plants track allergen changeovers on paper checklists that QA "
        "scans into SharePoint at the end of each shift.",
        "goals": "Pass the next BRC audit without a non-conformance and see changeover status for "
        "every line in real time.",
        "obstacles": "Paper records arrive a day late, and twice this year a missing signature "
        "triggered a product hold.",
        "complications": "The plant IT team is also migrating the ERP this year, and the union must "
        "agree to any new tablet-based procedure.",
        "next_step": "Your QA lead will send the last two audit reports before the 14th.",
    },
    {
        "company": "Quillfeather Software",
        "customer_name": "Rahul Menon",
        "customer_email": "rahul.menon@quillfeather.example",
        "stage": "research",
        "situation": "Quillfeather runs about 140 microservices on Kubernetes with monitoring split "
        "between Prometheus and CloudWatch.",
        "goals": "Bring mean time to resolution for P1 incidents under 45 minutes by year end.",
        "obstacles": "Logs, metrics and traces are not correlated, so root-cause analysis is manual.",
        "complications": "SOC 2 fieldwork starts in September and the VP wants any new tool inside the "
        "existing $180k observability budget.",
        "next_step": "You'll pull the P1 incident list for last quarter by next Wednesday.",
    },
    {
        "company": "Brightwater Clinics",
        "customer_name": "Hannah Ortiz",
        "customer_email": "h.ortiz@brightwater.example",
        "stage": "comparison",
        "situation": "Brightwater operates 18 outpatient clinics and books 6,000 appointments a week "
        "through a call centre of 25 agents.",
        "goals": "Let 40% of patients self-book online and cut no-shows by a third within a year.",
        "obstacles": "The practice-management system has no booking API, and reminders go out only by "
        "letter.",
        "complications": "Two other vendors are in the evaluation, and the privacy officer must approve "
        "any tool that stores patient phone numbers.",
        "next_step": "Hannah will share the evaluation scorecard with us by Thursday.",
    },
    {
        "company": "Northwind Utilities",
        "customer_name": "Erik Johansson",
        "customer_email": "erik.johansson@northwind.example",
        "stage": "fear",
        "situation": "Northwind reads 1.2 million meters a month, 8% of them still manually, and bills "
        "from an on-premise SAP IS-U system.",
        "goals": "Reach 99% automated reads and shorten the billing cycle by four days.",
        "obstacles": "Older meters in rural areas have no signal, and field crews are already at capacity.",
        "complications": "The regulator's rate case is open until March, and a failed project in 2021 "
        "makes the board wary of large rollouts.",
        "next_step": "You will confirm the pilot region with the operations director by the 20th.",
    },
    {
        "company": "Lumen Retail Group",
        "customer_name": "Sofia Marchetti",
        "customer_email": "sofia.marchetti@lumenretail.example",
        "stage": "commitment",
        "situation": "Lumen has 230 stores and reconciles inventory weekly with handheld scanners "
        "feeding a nightly batch job.",
        "goals": "Daily inventory accuracy above 97% and a 20% cut in stock-outs before the holiday season.",
        "obstacles": "Store Wi-Fi drops during peak hours and the batch job misses late transfers.",
        "complications": "Procurement requires three signatures and legal review of the data "
        "processing terms before the PO.",
        "next_step": "Your procurement team will return the signed order form by Monday.",
    },
    {
        "company": "Atlas Engineering",
        "customer_name": "Daniel Kruger",
        "customer_email": "daniel.kruger@atlaseng.example",
        "stage": "expectations",
        "situation": "Atlas signed in May and has 60 engineers onboarded to the new document control "
        "workflow across two offices.",
        "goals": "Have all 140 engineers live and drawing approvals under two days by the end of Q3.",
        "obstacles": "Legacy drawings still sit on a file share with inconsistent naming.",
        "complications": "A major client audit in August competes for the same project managers' time.",
        "next_step": "Daniel will name the migration owner for the file share by next Tuesday.",
    },
    {
        "company": "Fenwick Insurance",
        "customer_name": "Olivia Grant",
        "customer_email": "olivia.grant@fenwick.example",
        "stage": "satisfaction",
        "situation": "Fenwick has run claims intake on the platform for a year; 70% of claims now "
        "arrive digitally.",
        "goals": "Extend digital intake to commercial lines and reach 85% digital claims next year.",
        "obstacles": "Commercial claims need broker-specific forms the current flow does not support.",
        "complications": "The renewal comes up in January, alongside a company-wide budget freeze review.",
        "next_step": "Olivia will introduce us to the commercial lines director before the 30th.",
    },
)

# Incomplete drafts the checklist should flag, for the demo queue.
INCOMPLETE = (
    {
        "company": "Pinecrest Hotels",
        "customer_name": "Jonas Weber",
        "customer_email": "jonas.weber@pinecrest.example",
        "situation": "Pinecrest manages 12 hotels with a separate booking engine per property.",
        "goals": "One guest profile across all properties.",
        "obstacles": "TBD",
        "complications": "",
        "next_step": "We will send a proposal next week.",
    },
    {
        "company": "Orbital Media",
        "customer_name": "Aisha Bello",
        "customer_email": "aisha.bello@orbitalmedia.example",
        "situation": "",
        "goals": "Grow subscriber retention to 80%.",
        "obstacles": "Churn data lives in three tools nobody reconciles.",
        "complications": "n/a",
        "next_step": "",
    },
)

REVIEW_COMMENTS = {
    "approved": "Clear and customer-focused. Nice work pinning down the date.",
    "coach": "Good memo. Next time ask who else signs off, so the complications are complete.",
    "revise": "The next step is ours, not the customer's. Ask what they will do and by when.",
}
