"""A labelled, deterministic test set for PII and secret redaction.

:func:`positives` builds texts in which every sensitive value is labelled with
its type and exact character span; :func:`hard_negatives` builds texts full of
things that look like PII (order numbers, versions, build numbers, prices,
16-digit references that fail Luhn, tracking numbers, ...) but hold none.

Everything is generated here from small word lists written for this module
and a seeded :class:`random.Random`, so two calls with the same seed return
equal lists. Phone numbers are checked with ``phonenumbers``, cards with
Luhn, IBANs with mod 97, and every text is checked as it is built: each
entity's span holds exactly its value, spans do not overlap, JSON and CSV
texts parse, and no negative holds anything the rules below call PII.
"""

from __future__ import annotations

import base64
import csv
import io
import ipaddress
import json
import random
import re
import string
import unicodedata
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import phonenumbers
from phonenumbers import Leniency, NumberParseException, PhoneNumber, PhoneNumberFormat, PhoneNumberType

__all__ = ["STRUCTURED", "TYPES", "Entity", "Sample", "hard_negatives", "positives"]

TYPES = ("EMAIL", "PHONE", "CARD", "SSN", "IP", "IBAN", "API_KEY", "DOB", "ADDRESS", "PERSON")
STRUCTURED = ("EMAIL", "PHONE", "CARD", "SSN", "IP", "IBAN", "API_KEY", "DOB")
_SHAPES = ("sentence", "chat", "json", "log", "csv", "markdown", "email", "form")


@dataclass(frozen=True)
class Entity:
    type: str
    start: int
    end: int


@dataclass(frozen=True)
class Sample:
    text: str
    entities: tuple[Entity, ...]
    locale: str
    shape: str
    negative_kind: str = ""


def _fail(message: str) -> None:
    raise AssertionError(message)


def _t(words: str) -> tuple[str, ...]:
    """Split a ``|``-separated word list (entries may hold spaces)."""
    return tuple(w.strip() for w in words.split("|") if w.strip())


# --------------------------------------------------------------------------------------------------------------
# Locales: names, streets, cities with postcode ranges, phone region, IBAN countries


@dataclass(frozen=True)
class _City:
    name: str
    extra: str  # US state, Italian province, Brazilian UF, British outward codes (space separated)
    lo: int
    hi: int
    step: int = 1


@dataclass(frozen=True)
class _Locale:
    code: str
    lang: str
    region: str
    given_m: tuple[str, ...]
    given_f: tuple[str, ...]
    family: tuple[str, ...]  # "Kowalski/Kowalska" where the family name depends on gender
    streets: tuple[str, ...]
    cities: tuple[_City, ...]
    ibans: tuple[str, ...]
    domains: tuple[str, ...]


_LOCALE_LIST = (
    _Locale(
        "en_US", "en", "US",
        _t("James|Michael|Robert|David|William|Christopher|Daniel|Matthew|Anthony|Joshua|Andrew|Tyler|Kevin|"
           "Marcus|Carlos|Brandon|Jason|Ethan|Jamal|Luis"),
        _t("Mary|Jennifer|Linda|Patricia|Elizabeth|Jessica|Sarah|Ashley|Emily|Megan|Rachel|Brianna|Lauren|"
           "Jasmine|Mei|Olivia|Hannah|Danielle|Maria|Keisha"),
        _t("Smith|Johnson|Williams|Brown|Jones|Garcia|Miller|Davis|Rodriguez|Martinez|Hernandez|Lopez|Wilson|"
           "Anderson|Thomas|Taylor|Moore|Jackson|Martin|Lee|Thompson|White|Harris|Clark|Lewis|Robinson|Walker|"
           "Nguyen|O'Connor|Patel|Kim|Washington"),
        _t("Elm Avenue|Maple Street|Oak Drive|Washington Boulevard|Lincoln Road|Cedar Lane|Pine Street|"
           "Market Street|Main Street|Park Avenue|Lakeview Drive|Highland Avenue|Chestnut Street|Willow Court|"
           "Franklin Street|Jefferson Avenue|Madison Avenue|Riverside Drive|Hillcrest Road|Spring Street|"
           "Sycamore Lane|Forest Hills Drive|Magnolia Way|Broadway|Prospect Avenue|Center Street"),
        (
            _City("Springfield", "IL", 62701, 62712), _City("Austin", "TX", 78701, 78759),
            _City("Portland", "OR", 97201, 97239), _City("Denver", "CO", 80202, 80239),
            _City("Columbus", "OH", 43201, 43235), _City("Seattle", "WA", 98101, 98199),
            _City("Boston", "MA", 2108, 2137), _City("San Jose", "CA", 95110, 95148),
            _City("Madison", "WI", 53703, 53726), _City("Raleigh", "NC", 27601, 27617),
            _City("Phoenix", "AZ", 85003, 85054), _City("Nashville", "TN", 37201, 37221),
            _City("Atlanta", "GA", 30303, 30350), _City("Minneapolis", "MN", 55401, 55455),
            _City("Sacramento", "CA", 95814, 95838), _City("Pittsburgh", "PA", 15201, 15239),
            _City("Richmond", "VA", 23219, 23237), _City("Albany", "NY", 12203, 12211),
            _City("Tampa", "FL", 33602, 33629), _City("Salt Lake City", "UT", 84101, 84124),
            _City("Chicago", "IL", 60601, 60661), _City("Brooklyn", "NY", 11201, 11239),
        ),
        ("DE", "GB", "FR", "NL", "ES", "IT", "CH"),
        _t("comcast.net|verizon.net|att.net|yahoo.com|aol.com|umich.edu|cs.stanford.edu|mail.harvard.edu"),
    ),
    _Locale(
        "en_GB", "en", "GB",
        _t("Oliver|George|Harry|Jack|Charlie|Thomas|Oscar|William|James|Alfie|Henry|Joshua|Rhys|Callum|Archie|"
           "Samuel|Owen|Dylan"),
        _t("Amelia|Isla|Ava|Emily|Sophie|Grace|Lily|Freya|Chloe|Ella|Poppy|Evie|Niamh|Imogen|Harriet|Eleanor|"
           "Rosie|Megan"),
        _t("Smith|Jones|Taylor|Brown|Williams|Wilson|Johnson|Davies|Robinson|Wright|Thompson|Evans|Walker|White|"
           "Roberts|Green|Hall|Wood|Jackson|Clarke|Hughes|Edwards|Patel|Khan|Murphy|MacDonald|Campbell|Fletcher|"
           "Ahmed|Price"),
        _t("Baker Street|High Street|Station Road|Church Lane|Victoria Road|Mill Lane|Queen's Road|Kings Road|"
           "Park Road|The Crescent|Manor Way|Albert Street|Green Lane|Grove Road|Wellington Road|Highfield Avenue|"
           "Springfield Road|St John's Road|Windsor Close|Orchard Way|London Road|Beech Grove|Castle Street"),
        (
            _City("London", "NW1 SW11 E14 N7 SE15 W2 EC1V N16", 0, 0), _City("Manchester", "M1 M14 M20", 0, 0),
            _City("Birmingham", "B1 B15 B29", 0, 0), _City("Leeds", "LS1 LS6 LS17", 0, 0),
            _City("Bristol", "BS1 BS8 BS6", 0, 0), _City("Edinburgh", "EH1 EH3 EH10", 0, 0),
            _City("Glasgow", "G1 G12 G41", 0, 0), _City("Cardiff", "CF10 CF24", 0, 0),
            _City("Liverpool", "L1 L17 L18", 0, 0), _City("Sheffield", "S1 S10 S11", 0, 0),
            _City("Nottingham", "NG1 NG7", 0, 0), _City("Oxford", "OX1 OX4", 0, 0),
            _City("Cambridge", "CB1 CB2", 0, 0), _City("Brighton", "BN1 BN2", 0, 0),
            _City("York", "YO1 YO10", 0, 0),
        ),
        ("GB",),
        _t("btinternet.com|yahoo.co.uk|sky.com|virginmedia.com|nhs.net|ntlworld.com|ed.ac.uk|talktalk.net"),
    ),
    _Locale(
        "de_DE", "de", "DE",
        _t("Lukas|Leon|Felix|Jonas|Maximilian|Paul|Tobias|Sebastian|Florian|Matthias|Jürgen|Stefan|Thomas|Uwe|"
           "Jan|Niklas|Moritz|Andreas"),
        _t("Anna|Marie|Sophie|Lena|Laura|Hannah|Julia|Katharina|Lea|Sarah|Sabine|Claudia|Birgit|Petra|Jana|"
           "Miriam|Ursula|Franziska"),
        _t("Müller|Schmidt|Schneider|Fischer|Weber|Meyer|Wagner|Becker|Schulz|Hoffmann|Schäfer|Koch|Bauer|"
           "Richter|Klein|Wolf|Schröder|Neumann|Schwarz|Zimmermann|Braun|Krüger|Hofmann|Hartmann|Lange|Schmitt|"
           "Werner|Krause|Vogel|Yılmaz"),
        _t("Hauptstraße|Bahnhofstraße|Gartenweg|Schillerstraße|Goethestraße|Lindenallee|Bergstraße|Am Markt|"
           "Kirchgasse|Dorfstraße|Ringstraße|Friedrichstraße|Mozartweg|Rosenweg|Waldstraße|Marktplatz|Kantstraße|"
           "Beethovenstraße|Schulstraße|Birkenweg|Eichendorffstraße|Sonnenstraße|Uhlandstraße|Am Mühlbach"),
        (
            _City("Berlin", "", 10115, 14199), _City("Hamburg", "", 20095, 22769), _City("München", "", 80331, 81929),
            _City("Köln", "", 50667, 51149), _City("Frankfurt am Main", "", 60306, 60599),
            _City("Stuttgart", "", 70173, 70629), _City("Düsseldorf", "", 40210, 40629),
            _City("Leipzig", "", 4103, 4357), _City("Dresden", "", 1067, 1328), _City("Hannover", "", 30159, 30669),
            _City("Nürnberg", "", 90402, 90491), _City("Bremen", "", 28195, 28779),
            _City("Freiburg im Breisgau", "", 79098, 79117), _City("Heidelberg", "", 69115, 69126),
            _City("Münster", "", 48143, 48167),
        ),
        ("DE", "DE", "DE", "AT", "CH"),
        _t("web.de|gmx.de|t-online.de|posteo.de|mailbox.org|gmx.net|freenet.de|uni-heidelberg.de"),
    ),
    _Locale(
        "fr_FR", "fr", "FR",
        _t("Jean|Pierre|Louis|Nicolas|Julien|Antoine|Mathieu|Hugo|Thomas|Maxime|François|Guillaume|Théo|"
           "Baptiste|Jean-Baptiste|Yann|Karim|Olivier"),
        _t("Marie|Camille|Léa|Chloé|Manon|Inès|Sophie|Émilie|Élodie|Claire|Nathalie|Amélie|Margaux|Océane|"
           "Marie-Claire|Sandrine|Aurélie|Lucie"),
        _t("Martin|Bernard|Dubois|Thomas|Robert|Richard|Petit|Durand|Leroy|Moreau|Simon|Laurent|Lefebvre|"
           "Michel|Garcia|David|Bertrand|Roux|Vincent|Fournier|Morel|Girard|André|Lefèvre|Mercier|Dupont|"
           "Lambert|Bonnet|Fontaine|Rousseau|Benali"),
        _t("rue de la Paix|rue Victor Hugo|boulevard Saint-Michel|avenue Jean Jaurès|rue de la République|"
           "place Bellecour|rue du Faubourg Saint-Antoine|rue des Lilas|allée des Tilleuls|chemin des Vignes|"
           "rue Pasteur|avenue Foch|rue Nationale|boulevard Voltaire|rue de Rivoli|impasse des Roses|rue Gambetta|"
           "quai des Chartrons|rue Sainte-Catherine|cours Mirabeau|avenue de la Gare|rue du Moulin"),
        (
            _City("Paris", "", 75001, 75020), _City("Lyon", "", 69001, 69009), _City("Marseille", "", 13001, 13016),
            _City("Toulouse", "", 31000, 31500, 100), _City("Bordeaux", "", 33000, 33300, 100),
            _City("Nantes", "", 44000, 44300, 100), _City("Lille", "", 59000, 59000),
            _City("Strasbourg", "", 67000, 67200, 100), _City("Montpellier", "", 34000, 34000),
            _City("Rennes", "", 35000, 35200, 100), _City("Nice", "", 6000, 6300, 100),
            _City("Grenoble", "", 38000, 38100, 100),
        ),
        ("FR", "FR", "FR", "BE"),
        _t("orange.fr|free.fr|laposte.net|sfr.fr|wanadoo.fr|bbox.fr|univ-lyon1.fr|etu.univ-paris.fr"),
    ),
    _Locale(
        "es_ES", "es", "ES",
        _t("Antonio|Manuel|José|Francisco|David|Javier|Daniel|Carlos|Alejandro|Pablo|Sergio|Jorge|Álvaro|Diego|"
           "Raúl|Iñaki|Rubén|Adrián"),
        _t("María|Carmen|Ana|Laura|Lucía|Marta|Elena|Paula|Sara|Cristina|Isabel|Raquel|Nuria|Pilar|Montserrat|"
           "Rocío|Ainhoa|Beatriz"),
        _t("García|Rodríguez|González|Fernández|López|Martínez|Sánchez|Pérez|Gómez|Martín|Jiménez|Ruiz|"
           "Hernández|Díaz|Moreno|Muñoz|Álvarez|Romero|Alonso|Gutiérrez|Navarro|Torres|Domínguez|Vázquez|Ramos|"
           "Gil|Serrano|Blanco|Castillo|Ortega"),
        _t("Calle Mayor|Calle de Alcalá|Avenida de la Constitución|Gran Vía|Paseo de Gracia|Calle Real|"
           "Plaza de España|Calle de Serrano|Avenida Diagonal|Calle San Fernando|Calle del Carmen|Calle Colón|"
           "Ronda de Segovia|Calle de la Paz|Avenida de América|Calle Larios|Calle Sierpes|Rambla de Catalunya|"
           "Calle de Toledo|Calle de Velázquez|Camino de Ronda"),
        (
            _City("Madrid", "", 28001, 28055), _City("Barcelona", "", 8001, 8042), _City("Valencia", "", 46001, 46026),
            _City("Sevilla", "", 41001, 41020), _City("Zaragoza", "", 50001, 50018), _City("Málaga", "", 29001, 29018),
            _City("Bilbao", "", 48001, 48015), _City("Murcia", "", 30001, 30012), _City("Palma", "", 7001, 7015),
            _City("Granada", "", 18001, 18015), _City("Valladolid", "", 47001, 47014),
            _City("Alicante", "", 3001, 3016),
        ),
        ("ES",),
        _t("telefonica.net|hotmail.es|yahoo.es|movistar.es|ono.com|alumnos.upm.es|correo.ugr.es"),
    ),
    _Locale(
        "it_IT", "it", "IT",
        _t("Giuseppe|Giovanni|Antonio|Francesco|Marco|Alessandro|Luca|Andrea|Matteo|Lorenzo|Davide|Stefano|"
           "Roberto|Simone|Federico|Riccardo|Salvatore|Emanuele"),
        _t("Maria|Anna|Giulia|Francesca|Chiara|Sara|Valentina|Elena|Federica|Martina|Silvia|Alessia|Paola|"
           "Elisa|Giorgia|Roberta|Ilaria|Beatrice"),
        _t("Rossi|Russo|Ferrari|Esposito|Bianchi|Romano|Colombo|Ricci|Marino|Greco|Bruno|Gallo|Conti|De Luca|"
           "Mancini|Costa|Giordano|Rizzo|Lombardi|Moretti|Barbieri|Fontana|Santoro|Mariani|Rinaldi|Caruso|"
           "Ferrara|Galli|D'Angelo|Leone"),
        _t("Via Roma|Via Garibaldi|Corso Vittorio Emanuele II|Via Dante Alighieri|Piazza del Duomo|Via Mazzini|"
           "Via Cavour|Viale dei Mille|Via Verdi|Via Nazionale|Corso Buenos Aires|Via Manzoni|Via XX Settembre|"
           "Via della Repubblica|Viale Europa|Via San Francesco|Via Marconi|Via dei Tigli|Lungarno Corsini|"
           "Via Torino|Via Gramsci"),
        (
            _City("Roma", "RM", 118, 199), _City("Milano", "MI", 20121, 20162), _City("Napoli", "NA", 80121, 80147),
            _City("Torino", "TO", 10121, 10156), _City("Firenze", "FI", 50121, 50145),
            _City("Bologna", "BO", 40121, 40141), _City("Genova", "GE", 16121, 16167),
            _City("Palermo", "PA", 90121, 90151), _City("Venezia", "VE", 30121, 30176),
            _City("Verona", "VR", 37121, 37142), _City("Bari", "BA", 70121, 70132),
            _City("Padova", "PD", 35121, 35143),
        ),
        ("IT",),
        _t("libero.it|virgilio.it|tiscali.it|alice.it|tim.it|fastwebnet.it|studenti.unimi.it|pec.it"),
    ),
    _Locale(
        "nl_NL", "nl", "NL",
        _t("Daan|Sem|Lucas|Levi|Finn|Bram|Thijs|Jesse|Ruben|Niels|Pieter|Joost|Willem|Koen|Gijs|Sander|Jeroen|"
           "Mohamed"),
        _t("Emma|Julia|Sophie|Tess|Anna|Lotte|Fleur|Sanne|Lieke|Eva|Marieke|Femke|Anouk|Iris|Noor|Esther|Mirjam|"
           "Ilse"),
        _t("de Jong|Jansen|de Vries|van den Berg|van Dijk|Bakker|Janssen|Visser|Smit|Meijer|de Boer|Mulder|"
           "de Groot|Bos|Vos|Peters|Hendriks|van Leeuwen|Dekker|Brouwer|de Wit|Dijkstra|Smits|de Graaf|"
           "van der Meer|van der Linden|Kok|Jacobs|Bouzid"),
        _t("Keizersgracht|Prinsengracht|Herengracht|Dorpsstraat|Kerkstraat|Stationsweg|Molenweg|Julianalaan|"
           "Wilhelminastraat|Beatrixlaan|Schoolstraat|Oranjestraat|Marktplein|Nieuwe Binnenweg|Lange Voorhout|"
           "Oudegracht|Vondelstraat|Zeestraat|Parklaan|Hoofdstraat|Burgemeester de Withstraat"),
        (
            _City("Amsterdam", "", 1011, 1109), _City("Rotterdam", "", 3011, 3089), _City("Den Haag", "", 2491, 2597),
            _City("Utrecht", "", 3511, 3585), _City("Eindhoven", "", 5611, 5658), _City("Groningen", "", 9711, 9747),
            _City("Tilburg", "", 5011, 5049), _City("Almere", "", 1311, 1364), _City("Breda", "", 4811, 4839),
            _City("Nijmegen", "", 6511, 6546), _City("Haarlem", "", 2011, 2037), _City("Leiden", "", 2311, 2334),
        ),
        ("NL", "NL", "BE"),
        _t("ziggo.nl|kpnmail.nl|xs4all.nl|hetnet.nl|planet.nl|student.tudelft.nl|casema.nl"),
    ),
    _Locale(
        "pt_BR", "pt", "BR",
        _t("João|Pedro|Lucas|Gabriel|Rafael|Mateus|Gustavo|Felipe|Bruno|Thiago|Rodrigo|Leonardo|Diego|Marcelo|"
           "João Pedro|Carlos Eduardo|Vinícius|André"),
        _t("Maria|Ana|Juliana|Fernanda|Beatriz|Larissa|Camila|Mariana|Letícia|Patrícia|Aline|Vanessa|Bruna|"
           "Carolina|Ana Paula|Maria Eduarda|Débora|Luana"),
        _t("Silva|Santos|Oliveira|Souza|Rodrigues|Ferreira|Alves|Pereira|Lima|Gomes|Costa|Ribeiro|Martins|"
           "Carvalho|Almeida|Lopes|Soares|Fernandes|Vieira|Barbosa|Rocha|Dias|Nascimento|Andrade|Moreira|Nunes|"
           "Marques|Machado|Araújo|Conceição"),
        _t("Rua Augusta|Avenida Paulista|Rua das Flores|Rua XV de Novembro|Avenida Atlântica|Rua da Consolação|"
           "Avenida Brasil|Rua Oscar Freire|Rua Sete de Setembro|Avenida Getúlio Vargas|Rua Direita|"
           "Avenida Afonso Pena|Rua dos Andradas|Avenida Beira-Mar|Rua Voluntários da Pátria|Rua Tiradentes|"
           "Rua do Catete|Avenida Rio Branco|Rua Santa Clara|Rua Frei Caneca"),
        (
            _City("São Paulo", "SP", 1000, 5999), _City("Rio de Janeiro", "RJ", 20000, 23799),
            _City("Belo Horizonte", "MG", 30000, 31999), _City("Curitiba", "PR", 80000, 82999),
            _City("Porto Alegre", "RS", 90000, 91999), _City("Salvador", "BA", 40000, 42599),
            _City("Recife", "PE", 50000, 52999), _City("Fortaleza", "CE", 60000, 61599),
            _City("Brasília", "DF", 70000, 72799), _City("Florianópolis", "SC", 88000, 88099),
            _City("Campinas", "SP", 13000, 13139), _City("Goiânia", "GO", 74000, 74899),
        ),
        ("BR", "BR", "PT"),
        _t("uol.com.br|bol.com.br|terra.com.br|globo.com|ig.com.br|usp.br|aluno.ufrj.br"),
    ),
    _Locale(
        "pl_PL", "en", "PL",
        _t("Jakub|Kacper|Szymon|Jan|Filip|Mateusz|Piotr|Tomasz|Paweł|Krzysztof|Michał|Łukasz|Wojciech|Marcin|"
           "Grzegorz|Bartosz"),
        _t("Anna|Maria|Zuzanna|Julia|Katarzyna|Agnieszka|Małgorzata|Magdalena|Joanna|Aleksandra|Natalia|Monika|"
           "Ewa|Dorota|Barbara|Karolina"),
        _t("Nowak/Nowak|Kowalski/Kowalska|Wiśniewski/Wiśniewska|Wójcik/Wójcik|Kowalczyk/Kowalczyk|"
           "Kamiński/Kamińska|Lewandowski/Lewandowska|Zieliński/Zielińska|Szymański/Szymańska|Woźniak/Woźniak|"
           "Dąbrowski/Dąbrowska|Kozłowski/Kozłowska|Jankowski/Jankowska|Mazur/Mazur|Kwiatkowski/Kwiatkowska|"
           "Krawczyk/Krawczyk|Piotrowski/Piotrowska|Grabowski/Grabowska|Pawłowski/Pawłowska|Michalski/Michalska|"
           "Adamczyk/Adamczyk|Dudek/Dudek|Zając/Zając"),
        _t("ul. Marszałkowska|ul. Piotrkowska|ul. Długa|ul. Floriańska|al. Jerozolimskie|ul. Nowy Świat|"
           "ul. Mickiewicza|ul. Słowackiego|ul. Kościuszki|ul. Szeroka|ul. Polna|ul. Lipowa|ul. Ogrodowa|"
           "ul. Kwiatowa|ul. Sienkiewicza|ul. Grunwaldzka|ul. Świętojańska|ul. Krakowska|ul. Leśna|ul. Zielona"),
        (
            _City("Warszawa", "", 0, 4), _City("Kraków", "", 30, 31), _City("Łódź", "", 90, 94),
            _City("Wrocław", "", 50, 54), _City("Poznań", "", 60, 61), _City("Gdańsk", "", 80, 80),
            _City("Szczecin", "", 70, 71), _City("Lublin", "", 20, 20), _City("Katowice", "", 40, 40),
            _City("Białystok", "", 15, 15),
        ),
        ("PL",),
        _t("wp.pl|onet.pl|o2.pl|interia.pl|gazeta.pl|student.uw.edu.pl"),
    ),
    _Locale(
        "sv_SE", "en", "SE",
        _t("Erik|Lars|Karl|Johan|Anders|Oskar|Lucas|William|Nils|Axel|Gustav|Viktor|Per|Magnus|Mattias|Henrik"),
        _t("Anna|Maria|Eva|Karin|Sara|Emma|Elsa|Maja|Ingrid|Astrid|Linnea|Ebba|Sofia|Klara|Frida|Ida"),
        _t("Andersson|Johansson|Karlsson|Nilsson|Eriksson|Larsson|Olsson|Persson|Svensson|Gustafsson|Pettersson|"
           "Jonsson|Jansson|Hansson|Bengtsson|Lindberg|Lindström|Lindqvist|Berg|Holm|Sjöberg|Ekström|Lundgren|"
           "Bergström|Wallin|Nyström|Åberg|Sandberg"),
        _t("Drottninggatan|Storgatan|Kungsgatan|Sveavägen|Götgatan|Vasagatan|Östra Hamngatan|Skolgatan|"
           "Kyrkogatan|Parkvägen|Björkvägen|Strandvägen|Hamngatan|Järnvägsgatan|Södra Förstadsgatan|Linnégatan|"
           "Nygatan|Ringvägen|Sjövägen|Tallvägen"),
        (
            _City("Stockholm", "", 111, 129), _City("Göteborg", "", 411, 418), _City("Malmö", "", 211, 217),
            _City("Uppsala", "", 752, 757), _City("Västerås", "", 721, 725), _City("Örebro", "", 702, 703),
            _City("Linköping", "", 582, 589), _City("Helsingborg", "", 252, 256), _City("Lund", "", 222, 227),
            _City("Umeå", "", 903, 907),
        ),
        ("SE",),
        _t("telia.com|bredband.net|spray.se|comhem.se|student.lu.se|kth.se"),
    ),
)
_LOCALES = tuple(loc.code for loc in _LOCALE_LIST)

_GENERIC_DOMAINS = _t("gmail.com|outlook.com|hotmail.com|icloud.com|proton.me|yahoo.com|fastmail.fm|pm.me")
_COMPANIES = _t("nordwind-logistik|acme-retail|bluefin-labs|lumen-analytics|hallmark-dental|brightpath|"
                "kestrel-systems|orbital-foods|maple-health|quantix|riverbank-legal|solano-travel|tidewater")
_COMPANY_TLDS = {
    "en_US": ("com", "io", "us", "org"), "en_GB": ("co.uk", "org.uk", "uk"), "de_DE": ("de", "at", "ch"),
    "fr_FR": ("fr", "be"), "es_ES": ("es", "cat"), "it_IT": ("it",), "nl_NL": ("nl", "be"),
    "pt_BR": ("com.br", "net.br"), "pl_PL": ("pl", "com.pl"), "sv_SE": ("se", "nu"),
}
_SUBDOMAINS = ("mail", "eu", "support", "billing", "staff", "corp", "team", "eu-west.mail")

# --------------------------------------------------------------------------------------------------------------
# Language: the sentences, labels and frames around the values


@dataclass(frozen=True)
class _Lang:
    clauses: dict[str, tuple[str, ...]]
    bearer: tuple[str, ...]
    pem: tuple[str, ...]
    labels: dict[str, str]
    months: tuple[str, ...]
    acks: tuple[str, ...]
    opener: str
    hello_named: str
    hello: str
    closing: str
    team: str
    subject: str
    md_title: str
    table_head: tuple[str, str]
    form_title: str
    topic: tuple[str, str]


_LANGS: dict[str, _Lang] = {
    "en": _Lang(
        clauses={
            "EMAIL": ("You can reach me at {}.", "Please send the invoice to {}.", "My email address is {}.",
                      "I changed my login email to {} last week.", "Could you cc {} on the next update?"),
            "PHONE": ("Call me on {} after 5pm.", "My phone number is {}.",
                      "The courier can text {} when the parcel arrives.", "Best number to reach me: {}."),
            "CARD": ("Please charge my card {}.", "The card number is {}.",
                     "I paid with {} but the payment failed.", "Card on file: {}."),
            "SSN": ("My SSN is {}.", "Social Security number: {}.", "For the tax form, use SSN {}.",
                    "The applicant's social security number is {}."),
            "IP": ("The requests came from {}.", "Please allowlist {} on the firewall.",
                   "My router's public address is {}.", "We saw repeated logins from {} overnight."),
            "IBAN": ("Please wire the refund to {}.", "My IBAN is {}.", "Bank account (IBAN): {}.",
                     "Salary should go to {} from next month."),
            "API_KEY": ("Here is my key: {}", "I accidentally committed {} to the repo, can you rotate it?",
                        "The service authenticates with {} in production.", "Why does {} return 401?"),
            "DOB": ("I was born on {}.", "Date of birth: {}.", "DOB: {}", "My date of birth is {}.",
                    "The patient's date of birth is {}."),
            "ADDRESS": ("I live at {}.", "Please ship it to {}.", "My new address is {}.", "Billing address: {}."),
            "PERSON": ("My name is {}.", "Customer: {}.", "This is {} from accounting.",
                       "The account belongs to {}.", "I'm writing on behalf of {}."),
        },
        bearer=("The request was sent with Authorization: {} and still got a 401.",
                "curl -H \"Authorization: {}\" https://api.internal/v1/usage fails for me.",
                "Our proxy logs show the header Authorization: {} on every call."),
        pem=("Here is the deploy key, please keep it safe:\n{}\n", "Can you check why this key is rejected?\n\n{}\n"),
        labels={"EMAIL": "Email", "PHONE": "Phone", "CARD": "Card number", "SSN": "SSN", "IP": "IP address",
                "IBAN": "IBAN", "API_KEY": "API key", "DOB": "Date of birth", "ADDRESS": "Address",
                "PERSON": "Name"},
        months=_t("January|February|March|April|May|June|July|August|September|October|November|December"),
        acks=("Thanks, I've updated your details.", "Got it, thank you.",
              "Thanks! Is there anything else I can help with?"),
        opener="How can I help you today?",
        hello_named="Dear {},", hello="Hello,", closing="Best regards,", team="Customer Support",
        subject="Updated account details", md_title="Customer details", table_head=("Field", "Value"),
        form_title="Contact form", topic=("Topic", "Account update"),
    ),
    "de": _Lang(
        clauses={
            "EMAIL": ("Sie erreichen mich unter {}.", "Bitte schicken Sie die Rechnung an {}.",
                      "Meine E-Mail-Adresse lautet {}.", "Ich habe meine Login-Adresse auf {} geändert."),
            "PHONE": ("Rufen Sie mich bitte unter {} an.", "Meine Telefonnummer ist {}.",
                      "Tagsüber bin ich unter {} erreichbar."),
            "CARD": ("Bitte belasten Sie meine Karte {}.", "Die Kartennummer lautet {}.",
                     "Ich habe mit der Karte {} bezahlt, aber die Zahlung ist fehlgeschlagen."),
            "IP": ("Die Anfragen kamen von {}.", "Bitte schalten Sie {} in der Firewall frei.",
                   "Mein Router hat die öffentliche Adresse {}."),
            "IBAN": ("Bitte überweisen Sie die Erstattung auf {}.", "Meine IBAN lautet {}.",
                     "Bankverbindung (IBAN): {}."),
            "API_KEY": ("Hier ist mein Schlüssel: {}", "Ich habe aus Versehen {} ins Repository eingecheckt.",
                        "Der Dienst authentifiziert sich mit {}."),
            "DOB": ("Ich bin am {} geboren.", "Geburtsdatum: {}.", "Mein Sohn wurde am {} geboren.",
                    "Laut Ausweis geboren am {}."),
            "ADDRESS": ("Meine Adresse lautet {}.", "Bitte liefern Sie an folgende Adresse: {}.",
                        "Wir sind umgezogen, die neue Anschrift ist {}."),
            "PERSON": ("Mein Name ist {}.", "Kunde: {}.", "Hier spricht {} aus der Buchhaltung.",
                       "Das Konto gehört {}.", "Ansprechpartnerin ist {}."),
        },
        bearer=("Die Anfrage hatte den Header Authorization: {}, trotzdem kam ein 401.",
                "Im Proxy-Log steht bei jedem Aufruf Authorization: {}."),
        pem=("Hier ist der Deploy-Schlüssel, bitte sicher aufbewahren:\n{}\n",
             "Warum wird dieser Schlüssel abgelehnt?\n\n{}\n"),
        labels={"EMAIL": "E-Mail", "PHONE": "Telefon", "CARD": "Kartennummer", "SSN": "SSN",
                "IP": "IP-Adresse", "IBAN": "IBAN", "API_KEY": "API-Schlüssel", "DOB": "Geburtsdatum",
                "ADDRESS": "Anschrift", "PERSON": "Name"},
        months=_t("Januar|Februar|März|April|Mai|Juni|Juli|August|September|Oktober|November|Dezember"),
        acks=("Danke, ich habe Ihre Daten aktualisiert.", "Alles klar, vielen Dank."),
        opener="Wie kann ich Ihnen helfen?",
        hello_named="Hallo {},", hello="Guten Tag,", closing="Viele Grüße", team="Ihr Kundenservice",
        subject="Aktualisierte Kontodaten", md_title="Kundendaten", table_head=("Feld", "Wert"),
        form_title="Kontaktformular", topic=("Anliegen", "Änderung der Kundendaten"),
    ),
    "fr": _Lang(
        clauses={
            "EMAIL": ("Vous pouvez me joindre à {}.", "Merci d'envoyer la facture à {}.",
                      "Mon adresse e-mail est {}.", "J'ai changé mon adresse de connexion pour {}."),
            "PHONE": ("Appelez-moi au {}.", "Mon numéro de téléphone est le {}.",
                      "Vous pouvez me joindre au {} en journée."),
            "CARD": ("Veuillez débiter ma carte {}.", "Le numéro de carte est {}.",
                     "J'ai payé avec la carte {} mais le paiement a échoué."),
            "IP": ("Les requêtes venaient de {}.", "Merci d'autoriser {} sur le pare-feu.",
                   "L'adresse publique de mon routeur est {}."),
            "IBAN": ("Merci de virer le remboursement sur {}.", "Mon IBAN est {}.",
                     "Coordonnées bancaires (IBAN) : {}."),
            "API_KEY": ("Voici ma clé : {}", "J'ai commité {} par erreur dans le dépôt.",
                        "Le service s'authentifie avec {}."),
            "DOB": ("Je suis né le {}.", "Je suis née le {}.", "Date de naissance : {}.",
                    "Mon fils est né le {}."),
            "ADDRESS": ("J'habite au {}.", "Merci de livrer au {}.", "Ma nouvelle adresse est {}."),
            "PERSON": ("Je m'appelle {}.", "Client : {}.", "Ici {} du service comptabilité.",
                       "Le compte appartient à {}."),
        },
        bearer=("La requête avait l'en-tête Authorization: {} et a quand même reçu une 401.",),
        pem=("Voici la clé de déploiement, à garder en lieu sûr :\n{}\n",),
        labels={"EMAIL": "E-mail", "PHONE": "Téléphone", "CARD": "Numéro de carte", "SSN": "SSN",
                "IP": "Adresse IP", "IBAN": "IBAN", "API_KEY": "Clé API", "DOB": "Date de naissance",
                "ADDRESS": "Adresse", "PERSON": "Nom"},
        months=_t("janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|décembre"),
        acks=("Merci, j'ai mis à jour vos informations.", "C'est noté, merci."),
        opener="Comment puis-je vous aider ?",
        hello_named="Bonjour {},", hello="Bonjour,", closing="Cordialement,", team="Le service client",
        subject="Mise à jour de mes coordonnées", md_title="Coordonnées du client", table_head=("Champ", "Valeur"),
        form_title="Formulaire de contact", topic=("Objet", "Mise à jour du compte"),
    ),
    "es": _Lang(
        clauses={
            "EMAIL": ("Puedes escribirme a {}.", "Por favor, envía la factura a {}.",
                      "Mi correo electrónico es {}."),
            "PHONE": ("Llámame al {}.", "Mi número de teléfono es el {}.",
                      "Estoy disponible en el {} por las mañanas."),
            "CARD": ("Por favor, cargue el importe en mi tarjeta {}.", "El número de la tarjeta es {}.",
                     "Pagué con la tarjeta {} pero el pago falló."),
            "IP": ("Las peticiones venían de {}.", "Por favor, permitid {} en el cortafuegos.",
                   "La dirección pública de mi router es {}."),
            "IBAN": ("Por favor, haced la transferencia a {}.", "Mi IBAN es {}.", "Cuenta bancaria (IBAN): {}."),
            "API_KEY": ("Aquí está mi clave: {}", "Subí {} al repositorio por error.",
                        "El servicio se autentica con {}."),
            "DOB": ("Nací el {}.", "Mi fecha de nacimiento es el {}.", "Fecha de nacimiento: {}."),
            "ADDRESS": ("Mi dirección es {}.", "Por favor, envíalo a {}.", "La nueva dirección de envío es {}."),
            "PERSON": ("Me llamo {}.", "Cliente: {}.", "Soy {}, del departamento de contabilidad.",
                       "La cuenta está a nombre de {}."),
        },
        bearer=("La petición llevaba la cabecera Authorization: {} y aun así devolvió 401.",),
        pem=("Aquí tienes la clave de despliegue, guárdala bien:\n{}\n",),
        labels={"EMAIL": "Correo electrónico", "PHONE": "Teléfono", "CARD": "Número de tarjeta", "SSN": "SSN",
                "IP": "Dirección IP", "IBAN": "IBAN", "API_KEY": "Clave de API", "DOB": "Fecha de nacimiento",
                "ADDRESS": "Dirección", "PERSON": "Nombre"},
        months=_t("enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|octubre|noviembre|diciembre"),
        acks=("Gracias, he actualizado tus datos.", "Entendido, gracias."),
        opener="¿En qué puedo ayudarte?",
        hello_named="Hola, {}:", hello="Hola:", closing="Saludos,", team="Atención al cliente",
        subject="Actualización de mis datos", md_title="Datos del cliente", table_head=("Campo", "Valor"),
        form_title="Formulario de contacto", topic=("Asunto", "Actualización de la cuenta"),
    ),
    "it": _Lang(
        clauses={
            "EMAIL": ("Potete scrivermi a {}.", "Inviate la fattura a {}, per favore.",
                      "Il mio indirizzo email è {}."),
            "PHONE": ("Chiamatemi al {}.", "Il mio numero di telefono è {}.",
                      "Sono raggiungibile al {} di pomeriggio."),
            "CARD": ("Addebitate pure sulla mia carta {}.", "Il numero della carta è {}.",
                     "Ho pagato con la carta {} ma il pagamento non è andato a buon fine."),
            "IP": ("Le richieste arrivavano da {}.", "Per favore abilitate {} sul firewall.",
                   "L'indirizzo pubblico del mio router è {}."),
            "IBAN": ("Vi prego di accreditare il rimborso su {}.", "Il mio IBAN è {}.",
                     "Coordinate bancarie (IBAN): {}."),
            "API_KEY": ("Ecco la mia chiave: {}", "Ho committato per errore {} nel repository.",
                        "Il servizio si autentica con {}."),
            "DOB": ("Sono nato il {}.", "Sono nata il {}.", "La mia data di nascita è il {}.",
                    "Data di nascita: {}."),
            "ADDRESS": ("Abito in {}.", "Spedite il pacco a {}.", "Il mio nuovo indirizzo è {}."),
            "PERSON": ("Mi chiamo {}.", "Cliente: {}.", "Sono {} dell'amministrazione.",
                       "Il conto è intestato a {}."),
        },
        bearer=("La richiesta aveva l'header Authorization: {} ma ha restituito 401.",),
        pem=("Ecco la chiave di deploy, conservatela con cura:\n{}\n",),
        labels={"EMAIL": "Email", "PHONE": "Telefono", "CARD": "Numero di carta", "SSN": "SSN",
                "IP": "Indirizzo IP", "IBAN": "IBAN", "API_KEY": "Chiave API", "DOB": "Data di nascita",
                "ADDRESS": "Indirizzo", "PERSON": "Nome"},
        months=_t("gennaio|febbraio|marzo|aprile|maggio|giugno|luglio|agosto|settembre|ottobre|novembre|"
                  "dicembre"),
        acks=("Grazie, ho aggiornato i suoi dati.", "Perfetto, grazie."),
        opener="Come posso aiutarla?",
        hello_named="Gentile {},", hello="Buongiorno,", closing="Cordiali saluti,", team="Servizio clienti",
        subject="Aggiornamento dei miei dati", md_title="Dati del cliente", table_head=("Campo", "Valore"),
        form_title="Modulo di contatto", topic=("Oggetto", "Aggiornamento account"),
    ),
    "nl": _Lang(
        clauses={
            "EMAIL": ("Je kunt me mailen op {}.", "Stuur de factuur alsjeblieft naar {}.",
                      "Mijn e-mailadres is {}."),
            "PHONE": ("Bel me op {}.", "Mijn telefoonnummer is {}.", "Overdag ben ik bereikbaar op {}."),
            "CARD": ("Schrijf het bedrag af van mijn kaart {}.", "Het kaartnummer is {}.",
                     "Ik heb met kaart {} betaald, maar de betaling is mislukt."),
            "IP": ("De verzoeken kwamen van {}.", "Zet {} alsjeblieft op de allowlist van de firewall.",
                   "Het publieke adres van mijn router is {}."),
            "IBAN": ("Maak de terugbetaling over naar {}.", "Mijn IBAN is {}.", "Bankrekening (IBAN): {}."),
            "API_KEY": ("Hier is mijn sleutel: {}", "Ik heb per ongeluk {} in de repository gezet.",
                        "De dienst authenticeert met {}."),
            "DOB": ("Ik ben geboren op {}.", "Mijn geboortedatum is {}.", "Geboortedatum: {}."),
            "ADDRESS": ("Mijn adres is {}.", "Stuur het pakket naar {}.", "Ons nieuwe adres wordt {}."),
            "PERSON": ("Mijn naam is {}.", "Klant: {}.", "U spreekt met {} van de administratie.",
                       "De rekening staat op naam van {}."),
        },
        bearer=("Het verzoek had de header Authorization: {} en kreeg toch een 401.",),
        pem=("Hier is de deploy-sleutel, bewaar hem goed:\n{}\n",),
        labels={"EMAIL": "E-mail", "PHONE": "Telefoon", "CARD": "Kaartnummer", "SSN": "SSN",
                "IP": "IP-adres", "IBAN": "IBAN", "API_KEY": "API-sleutel", "DOB": "Geboortedatum",
                "ADDRESS": "Adres", "PERSON": "Naam"},
        months=_t("januari|februari|maart|april|mei|juni|juli|augustus|september|oktober|november|december"),
        acks=("Bedankt, ik heb je gegevens bijgewerkt.", "Helder, dank je."),
        opener="Waarmee kan ik je helpen?",
        hello_named="Beste {},", hello="Goedendag,", closing="Met vriendelijke groet,", team="Klantenservice",
        subject="Gewijzigde gegevens", md_title="Klantgegevens", table_head=("Veld", "Waarde"),
        form_title="Contactformulier", topic=("Onderwerp", "Wijziging gegevens"),
    ),
    "pt": _Lang(
        clauses={
            "EMAIL": ("Você pode me escrever em {}.", "Por favor, envie a nota fiscal para {}.",
                      "Meu e-mail é {}."),
            "PHONE": ("Me liga no {}.", "Meu telefone é {}.", "Estou disponível no {} à tarde."),
            "CARD": ("Pode cobrar no meu cartão {}.", "O número do cartão é {}.",
                     "Paguei com o cartão {} mas o pagamento falhou."),
            "IP": ("As requisições vinham de {}.", "Por favor, libere {} no firewall.",
                   "O endereço público do meu roteador é {}."),
            "IBAN": ("Por favor, faça o reembolso para {}.", "Meu IBAN é {}.", "Conta bancária (IBAN): {}."),
            "API_KEY": ("Aqui está minha chave: {}", "Comitei {} no repositório sem querer.",
                        "O serviço se autentica com {}."),
            "DOB": ("Nasci em {}.", "Minha data de nascimento é {}.", "Data de nascimento: {}."),
            "ADDRESS": ("Meu endereço é {}.", "Por favor, entregue em {}.", "O novo endereço de entrega é {}."),
            "PERSON": ("Meu nome é {}.", "Cliente: {}.", "Aqui é {} do financeiro.",
                       "A conta está no nome de {}."),
        },
        bearer=("A requisição tinha o cabeçalho Authorization: {} e mesmo assim deu 401.",),
        pem=("Segue a chave de deploy, guarde com cuidado:\n{}\n",),
        labels={"EMAIL": "E-mail", "PHONE": "Telefone", "CARD": "Número do cartão", "SSN": "SSN",
                "IP": "Endereço IP", "IBAN": "IBAN", "API_KEY": "Chave de API", "DOB": "Data de nascimento",
                "ADDRESS": "Endereço", "PERSON": "Nome"},
        months=_t("janeiro|fevereiro|março|abril|maio|junho|julho|agosto|setembro|outubro|novembro|dezembro"),
        acks=("Obrigado, atualizei seus dados.", "Certo, obrigado."),
        opener="Como posso ajudar?",
        hello_named="Olá, {},", hello="Olá,", closing="Atenciosamente,", team="Atendimento ao cliente",
        subject="Atualização de cadastro", md_title="Dados do cliente", table_head=("Campo", "Valor"),
        form_title="Formulário de contato", topic=("Assunto", "Atualização de cadastro"),
    ),
}

# Keys for JSON, CSV and log lines (English, as in most code).
_KEYS: dict[str, tuple[str, ...]] = {
    "EMAIL": ("email", "email_address", "contact_email"), "PHONE": ("phone", "phone_number", "mobile"),
    "CARD": ("card_number", "pan", "card"), "SSN": ("ssn", "social_security_number"),
    "IP": ("ip", "client_ip", "remote_addr"), "IBAN": ("iban", "bank_account"),
    "API_KEY": ("api_key",), "DOB": ("date_of_birth", "dob", "birth_date"),
    "ADDRESS": ("address", "shipping_address", "billing_address"), "PERSON": ("name", "full_name", "customer_name"),
}
_KEY_BY_FLAVOUR = {
    "openai": "openai_api_key", "anthropic": "anthropic_api_key", "stripe": "stripe_secret_key",
    "aws": "aws_access_key_id", "github": "github_token", "jwt": "access_token", "bearer": "authorization",
    "pem": "private_key",
}
_ENV_BY_FLAVOUR = {
    "openai": "OPENAI_API_KEY", "anthropic": "ANTHROPIC_API_KEY", "stripe": "STRIPE_SECRET_KEY",
    "aws": "AWS_ACCESS_KEY_ID", "github": "GITHUB_TOKEN", "jwt": "ACCESS_TOKEN",
}
_LOG_MESSAGES: dict[str, tuple[str, ...]] = {
    "EMAIL": ("sending receipt to {}", "password reset requested for {}"),
    "PHONE": ("sms verification code sent to {}", "callback scheduled for {}"),
    "CARD": ("charge declined for card {}", "tokenizing card {}"),
    "SSN": ("identity check submitted ssn={}",),
    "IP": ("client {} connected", "rate limit exceeded for {}", "accepted connection from {}"),
    "IBAN": ("payout scheduled to {}", "mandate created for iban={}"),
    "API_KEY": ("auth failed for key {}", "using api key {}"),
    "DOB": ("kyc record updated dob={}",),
    "ADDRESS": ("shipping label created address=\"{}\"",),
    "PERSON": ("ticket opened by customer=\"{}\"",),
}
_LOGGERS = ("api.auth", "billing.payments", "crm.sync", "gateway", "support.tickets", "kyc.worker", "llm.proxy")

# --------------------------------------------------------------------------------------------------------------
# Building texts with labelled spans


class _Builder:
    """Concatenates text pieces and remembers where each entity landed."""

    def __init__(self, escape: Callable[[str], str] | None = None) -> None:
        self._parts: list[str] = []
        self._len = 0
        self._escape = escape
        self.spans: list[tuple[str, int, int, str]] = []

    def add(self, s: str, raw: bool = False) -> None:
        if self._escape is not None and not raw:
            s = self._escape(s)
        self._parts.append(s)
        self._len += len(s)

    def ent(self, type_: str, value: str) -> None:
        if self._escape is not None and self._escape(value) != value:
            _fail(f"{type_} value {value!r} would change when escaped")
        self.spans.append((type_, self._len, self._len + len(value), value))
        self._parts.append(value)
        self._len += len(value)

    def text(self) -> str:
        return "".join(self._parts)


def _json_inner(s: str) -> str:
    return json.dumps(s, ensure_ascii=False)[1:-1]


@dataclass(frozen=True)
class _Slot:
    type: str
    value: str
    lead: str = ""  # written right before the value and not part of it ("Bearer ")
    flavour: str = ""  # API_KEY: openai, anthropic, stripe, aws, github, jwt, bearer, pem


def _put(b: _Builder, slot: _Slot) -> None:
    if slot.lead:
        b.add(slot.lead)
    b.ent(slot.type, slot.value)


def _clause(b: _Builder, rng: random.Random, lang: _Lang, slot: _Slot) -> None:
    if slot.flavour == "bearer":
        tpl = rng.choice(lang.bearer)
    elif slot.flavour == "pem":
        tpl = rng.choice(lang.pem)
    else:
        tpl = rng.choice(lang.clauses[slot.type])
    before, after = tpl.split("{}")
    b.add(before)
    _put(b, slot)
    b.add(after)


def _clauses(b: _Builder, rng: random.Random, lang: _Lang, slots: Sequence[_Slot]) -> None:
    for i, slot in enumerate(slots):
        if i and not b.text().endswith("\n"):
            b.add(" ")
        _clause(b, rng, lang, slot)


def _key(rng: random.Random, slot: _Slot) -> str:
    if slot.type == "API_KEY" and slot.flavour in _KEY_BY_FLAVOUR and rng.random() < 0.7:
        return _KEY_BY_FLAVOUR[slot.flavour]
    return rng.choice(_KEYS[slot.type])


def _label(lang: _Lang, slot: _Slot) -> str:
    return "Authorization" if slot.flavour == "bearer" else lang.labels[slot.type]


def _timestamp(rng: random.Random) -> str:
    d = date(2025, 1, 1) + timedelta(days=rng.randint(0, 700))
    return (f"{d.isoformat()}T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}"
            f".{rng.randint(0, 999):03d}Z")


def _render_sentence(b: _Builder, rng: random.Random, lang: _Lang, slots: Sequence[_Slot]) -> None:
    _clauses(b, rng, lang, slots)


def _render_chat(b: _Builder, rng: random.Random, lang: _Lang, slots: Sequence[_Slot]) -> None:
    user, assistant = rng.choice((("User", "Assistant"), ("user", "assistant"), ("[user]", "[assistant]")))
    if rng.random() < 0.3:
        b.add(f"System: You are a helpful support agent.\n{user}: ")
    elif rng.random() < 0.4:
        b.add(f"{assistant}: {lang.opener}\n{user}: ")
    else:
        b.add(f"{user}: ")
    if len(slots) > 1 and rng.random() < 0.5:
        for i, slot in enumerate(slots):
            if i:
                b.add(f"\n{assistant}: {rng.choice(lang.acks)}\n{user}: ")
            _clause(b, rng, lang, slot)
    else:
        _clauses(b, rng, lang, slots)
    b.add(f"\n{assistant}: {rng.choice(lang.acks)}")


def _lit(v: object) -> str:
    return json.dumps(v, ensure_ascii=False)


def _render_json_messages(b: _Builder, rng: random.Random, lang: _Lang, slots: Sequence[_Slot]) -> None:
    """A chat-completions request body: the values sit in a message's content."""
    model = rng.choice(("gpt-4o-mini", "claude-3-5-haiku-latest", "gpt-4.1", "mistral-small-latest"))
    b.add('{"model": ' + _lit(model) + ', "messages": [{"role": "system", "content": '
          + _lit("You are a helpful support agent.") + '}, {"role": "user", "content": "')
    inner = _Builder(_json_inner)
    _clauses(inner, rng, lang, slots)
    base = len(b.text())
    b.add(inner.text())
    b.spans.extend((t, s + base, e + base, v) for t, s, e, v in inner.spans)
    b.add('"}]}')


def _render_json(b: _Builder, rng: random.Random, lang: _Lang, slots: Sequence[_Slot]) -> None:
    """A JSON record: the values are string fields of a nested object."""
    lit = _lit
    outer = rng.choice(("customer", "user", "contact", "account_holder"))
    pretty = rng.random() < 0.5
    nl, ind = ("\n", "  ") if pretty else ("", "")
    sep = "," + nl if pretty else ", "
    event = rng.choice(("profile.updated", "checkout.completed", "signup", "ticket.created"))
    b.add("{" + nl + ind + '"event": ' + lit(event) + sep + ind + lit(outer) + ": {" + nl)
    fields: list[str | _Slot] = [f"id:cus_{rng.randint(10000, 99999)}", *slots]
    if rng.random() < 0.5:
        fields.append("tier:" + rng.choice(("free", "pro", "team", "enterprise")))
    for i, f in enumerate(fields):
        if i:
            b.add(sep)
        b.add(ind * 2)
        if isinstance(f, str):
            k, v = f.split(":", 1)
            b.add(lit(k) + ": " + lit(v))
        else:
            b.add(lit(_key(rng, f)) + ': "')
            _put(b, f)
            b.add('"')
    b.add(nl + ind + "}" + nl + "}")


def _render_log(b: _Builder, rng: random.Random, lang: _Lang, slots: Sequence[_Slot]) -> None:
    for i, slot in enumerate(slots):
        if i:
            b.add("\n")
        if slot.type == "IP" and rng.random() < 0.3:
            method = rng.choice(("GET", "POST"))
            path = rng.choice(("/v1/chat/completions", "/v1/embeddings", "/login", "/api/traces"))
            b.ent(slot.type, slot.value)
            b.add(f' - - [14/Mar/2026:{rng.randint(10, 23)}:{rng.randint(10, 59)}:{rng.randint(10, 59)} +0000] '
                  f'"{method} {path} HTTP/1.1" {rng.choice((200, 201, 401, 429))} {rng.randint(120, 9000)}')
            continue
        b.add(f"{_timestamp(rng)} {rng.choice(('INFO', 'WARN', 'DEBUG', 'ERROR'))} {rng.choice(_LOGGERS)} ")
        if slot.flavour == "bearer":
            quoted = rng.random() < 0.5
            b.add('upstream call authorization="' if quoted else "request headers: Authorization: ")
            _put(b, slot)
            if quoted:
                b.add('"')
            continue
        if rng.random() < 0.5:
            before, after = rng.choice(_LOG_MESSAGES[slot.type]).split("{}")
            b.add(before)
            _put(b, slot)
            b.add(after)
        else:
            b.add(rng.choice(("updated record", "request accepted", "validation passed", "stored")) + " ")
            quote = '"' if (" " in slot.value or "," in slot.value or slot.lead) else ""
            b.add(f"{_key(rng, slot)}={quote}")
            _put(b, slot)
            b.add(quote)


def _csv_field(b: _Builder, value: str, delim: str, slot: _Slot | None = None) -> None:
    shown = (slot.lead + slot.value) if slot else value
    quote = '"' if (delim in shown or '"' in shown or "\n" in shown) else ""
    b.add(quote)
    if slot is None:
        b.add(value)
    else:
        _put(b, slot)
    b.add(quote)


def _render_csv(b: _Builder, rng: random.Random, lang: _Lang, slots: Sequence[_Slot]) -> None:
    delim = ";" if (lang is not _LANGS["en"] and rng.random() < 0.5) else ","
    keys = ["customer_id"] + [_key(rng, s) for s in slots] + ["plan"]
    b.add(delim.join(keys) + "\n")
    b.add(f"C-{rng.randint(1000, 99999)}")
    for s in slots:
        b.add(delim)
        _csv_field(b, "", delim, s)
    b.add(delim + rng.choice(("free", "pro", "team")))


def _render_markdown(b: _Builder, rng: random.Random, lang: _Lang, slots: Sequence[_Slot]) -> None:
    blocks = [s for s in slots if s.flavour in _ENV_BY_FLAVOUR or s.flavour in ("pem", "bearer")]
    code = blocks[:1] if blocks and rng.random() < 0.6 else []
    rest = [s for s in slots if s not in code]
    b.add(f"## {lang.md_title}\n\n")
    if rest:
        if rng.random() < 0.5 and not any(s.flavour == "pem" for s in rest):
            b.add(f"| {lang.table_head[0]} | {lang.table_head[1]} |\n| --- | --- |\n")
            for s in rest:
                b.add(f"| {_label(lang, s)} | ")
                _put(b, s)
                b.add(" |\n")
        else:
            for s in rest:
                if s.flavour == "pem":
                    b.add(f"- **{_label(lang, s)}:**\n\n```\n")
                    _put(b, s)
                    b.add("\n```\n")
                else:
                    b.add(f"- **{_label(lang, s)}:** ")
                    _put(b, s)
                    b.add("\n")
    for s in code:
        b.add("\n```bash\n" if rest else "```bash\n")
        if s.flavour == "pem":
            b.add("cat > deploy_key <<'EOF'\n")
            _put(b, s)
            b.add("\nEOF\n```")
        elif s.flavour == "bearer":
            b.add('curl https://api.internal/v1/usage -H "Authorization: ')
            _put(b, s)
            b.add('"\n```')
        else:
            b.add(f'export {_ENV_BY_FLAVOUR[s.flavour]}="')
            _put(b, s)
            b.add('"\n```')


def _render_email(b: _Builder, rng: random.Random, lang: _Lang, slots: Sequence[_Slot]) -> None:
    person = next((s for s in slots if s.type == "PERSON"), None)
    body = [s for s in slots if s is not person]
    signed = person is not None and (not body or rng.random() < 0.5)
    b.add(f"Subject: {lang.subject}\n\n")
    if person is not None and not signed:
        before, after = lang.hello_named.split("{}")
        b.add(before)
        _put(b, person)
        b.add(after)
    else:
        b.add(lang.hello)
    b.add("\n\n")
    if body:
        _clauses(b, rng, lang, body)
    else:
        b.add(rng.choice(lang.acks))
    b.add(f"\n\n{lang.closing}\n")
    if signed and person is not None:
        _put(b, person)
    else:
        b.add(lang.team)


def _render_form(b: _Builder, rng: random.Random, lang: _Lang, slots: Sequence[_Slot]) -> None:
    b.add(f"{lang.form_title}\n")
    lines: list[str | _Slot] = [*slots]
    if rng.random() < 0.6:
        lines.insert(rng.randint(0, len(lines)), f"{lang.topic[0]}: {lang.topic[1]}")
    for i, line in enumerate(lines):
        if i:
            b.add("\n")
        if isinstance(line, str):
            b.add(line)
        else:
            b.add(f"{_label(lang, line)}: ")
            _put(b, line)


_RENDER: dict[str, Callable[[_Builder, random.Random, _Lang, Sequence[_Slot]], None]] = {
    "sentence": _render_sentence, "chat": _render_chat, "json": _render_json, "json_messages": _render_json_messages,
    "log": _render_log,
    "csv": _render_csv, "markdown": _render_markdown, "email": _render_email, "form": _render_form,
}

# --------------------------------------------------------------------------------------------------------------
# Values


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _luhn_digit(partial: str) -> str:
    for d in "0123456789":
        if _luhn_ok(partial + d):
            return d
    raise AssertionError("unreachable")


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(string.digits) for _ in range(n))


def _chars(rng: random.Random, alphabet: str, n: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


_ALNUM = string.ascii_letters + string.digits
_UPPER_ALNUM = string.ascii_uppercase + string.digits
_B64URL = _ALNUM + "-_"


def _ascii(s: str, lang: str) -> str:
    if lang == "de":
        s = s.replace("ä", "ae").replace("ö", "oe").replace("ü", "ue")
    s = s.replace("ß", "ss").replace("ł", "l").replace("Ł", "L").replace("ı", "i")
    out = "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c))
    return "".join(c for c in out if c.isascii())


def _name_parts(rng: random.Random, loc: _Locale) -> tuple[str, str]:
    female = rng.random() < 0.5
    given = rng.choice(loc.given_f if female else loc.given_m)
    fam = rng.choice(loc.family)
    if "/" in fam:
        fam = fam.split("/")[1 if female else 0]
    if loc.code == "es_ES" and rng.random() < 0.6:
        fam = f"{fam} {rng.choice(loc.family)}"
    elif loc.code == "pt_BR" and rng.random() < 0.45:
        fam = f"{rng.choice(loc.family)} {fam}"
    elif loc.code == "en_US" and rng.random() < 0.15:
        given = f"{given} {rng.choice(string.ascii_uppercase.replace('X', ''))}."
    return given, fam


def _person(rng: random.Random, loc: _Locale) -> str:
    given, fam = _name_parts(rng, loc)
    return f"{given} {fam}"


def _email(rng: random.Random, loc: _Locale) -> str:
    given, fam = _name_parts(rng, loc)
    lang = "de" if loc.code == "de_DE" else loc.lang
    g = _ascii(given.split()[0].lower(), lang)
    f = re.sub(r"[^a-z]", "", _ascii(fam.split()[-1].lower(), lang))
    year = str(rng.randint(1955, 2005))
    tag = rng.choice(("shop", "news", "work", "billing", "github", "travel", "2024"))
    local = rng.choice((
        f"{g}.{f}", f"{g[0]}.{f}", f"{g}_{f}", f"{g}{f}", f"{f}.{g}", f"{g}.{f}{rng.randint(2, 99)}",
        f"{g}{year}", f"{g}.{f}+{tag}", f"{g}+{tag}", f"{g[0]}{f}{rng.randint(1, 9)}", f"{g}-{f}",
        f"{f}{year[2:]}",
    ))
    r = rng.random()
    if r < 0.35:
        domain = rng.choice(_GENERIC_DOMAINS)
    elif r < 0.7:
        domain = rng.choice(loc.domains)
    else:
        company = rng.choice(_COMPANIES)
        tld = rng.choice(_COMPANY_TLDS[loc.code])
        domain = f"{company}.{tld}" if rng.random() < 0.5 else f"{rng.choice(_SUBDOMAINS)}.{company}.{tld}"
    return f"{local}@{domain}"


_PHONE_EXAMPLES: dict[str, tuple[PhoneNumber, ...]] = {}


def _phone_examples(region: str) -> tuple[PhoneNumber, ...]:
    found = _PHONE_EXAMPLES.get(region)
    if found is None:
        nums = [phonenumbers.example_number_for_type(region, t) for t in (PhoneNumberType.MOBILE,
                                                                          PhoneNumberType.FIXED_LINE)]
        found = _PHONE_EXAMPLES.setdefault(region, tuple(n for n in nums if n is not None))
    return found


def _phone_number(rng: random.Random, region: str) -> PhoneNumber:
    for attempt in range(400):
        example = rng.choice(_phone_examples(region))
        nsn = phonenumbers.national_significant_number(example)
        keep = rng.choice((1, 2, 3)) if attempt < 300 else len(nsn) - 4
        cand = nsn[:keep] + _digits(rng, len(nsn) - keep)
        try:
            num = phonenumbers.parse(f"+{example.country_code}{cand}")
        except NumberParseException:
            continue
        if phonenumbers.is_valid_number(num) and phonenumbers.region_code_for_number(num) == region:
            return num
    raise AssertionError(f"no valid phone number for {region}")


def _phone(rng: random.Random, region: str) -> str:
    num = _phone_number(rng, region)
    intl = phonenumbers.format_number(num, PhoneNumberFormat.INTERNATIONAL)
    nat = phonenumbers.format_number(num, PhoneNumberFormat.NATIONAL)
    e164 = phonenumbers.format_number(num, PhoneNumberFormat.E164)
    forms = [intl, intl, nat, nat, e164, intl.replace(" ", "-"), intl.replace(" ", "."), nat.replace(" ", "-"),
             nat.replace(" ", ".")]
    if region == "US":
        digits = phonenumbers.national_significant_number(num)
        a, x, n = digits[:3], digits[3:6], digits[6:]
        forms += [f"{a}-{x}-{n}", f"{a}.{x}.{n}", f"+1 ({a}) {x}-{n}", f"1-{a}-{x}-{n}", f"+1 {a} {x} {n}"]
    elif region == "DE":
        forms.append(re.sub(r"^(0\d+) ", r"\1/", nat))
    elif region == "BR":
        forms.append(nat.replace("(", "").replace(")", ""))
    rng.shuffle(forms)
    for form in forms:
        try:
            back = phonenumbers.parse(form, region)
        except NumberParseException:
            continue
        if phonenumbers.is_valid_number(back) and back.national_number == num.national_number:
            return form
    return e164


def _card(rng: random.Random) -> str:
    brand = rng.choice(("visa", "visa", "mastercard", "mastercard", "amex", "discover"))
    if brand == "visa":
        prefix, length = "4", rng.choice((16, 16, 16, 16, 13, 19))
    elif brand == "mastercard":
        prefix, length = (str(rng.randint(51, 55)) if rng.random() < 0.7 else str(rng.randint(2221, 2720))), 16
    elif brand == "amex":
        prefix, length = rng.choice(("34", "37")), 15
    else:
        prefix = rng.choice(("6011", "65", str(rng.randint(644, 649))))
        length = rng.choice((16, 16, 16, 19))
    body = prefix + _digits(rng, length - len(prefix) - 1)
    pan = body + _luhn_digit(body)
    style = rng.choice(("plain", "space", "space", "dash"))
    if style == "plain" or length == 13:
        return pan
    sep = " " if style == "space" else "-"
    if length == 15:
        return sep.join((pan[:4], pan[4:10], pan[10:]))
    return sep.join(pan[i:i + 4] for i in range(0, length, 4))


def _ssn(rng: random.Random) -> str:
    area = rng.randint(1, 899)
    while area == 666:
        area = rng.randint(1, 899)
    return f"{area:03d}-{rng.randint(1, 99):02d}-{rng.randint(1, 9999):04d}"


def _ipv4(rng: random.Random) -> str:
    r = rng.random()
    if r < 0.3:
        kind = rng.choice(("10", "172", "192"))
        if kind == "10":
            return f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
        if kind == "172":
            return f"172.{rng.randint(16, 31)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
        return f"192.168.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
    if r < 0.45:
        return f"{rng.choice(('192.0.2', '198.51.100', '203.0.113'))}.{rng.randint(1, 254)}"
    while True:
        first = rng.randint(1, 223)
        if first not in (10, 100, 127, 169, 172, 192, 198, 203):
            return f"{first}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"


def _ipv6(rng: random.Random) -> str:
    head = rng.choice(((0x2001, 0x0DB8), (0x2A02, None), (0x2600, None), (0x2A01, None), (0x2C0F, None),
                       (0xFD00, None), (0xFE80, 0)))
    groups = [head[0], rng.randint(0, 0xFFFF) if head[1] is None else head[1]] + [
        rng.choice((0, rng.randint(0, 0xFFFF), rng.randint(0, 0xFFF))) for _ in range(6)]
    if head[0] == 0xFE80:
        groups[2:4] = [0, 0]
    if rng.random() < 0.6:
        start = rng.randint(2, 5)
        for i in range(start, min(8, start + rng.randint(2, 4))):
            groups[i] = 0
    addr = ipaddress.IPv6Address(int("".join(f"{g:04x}" for g in groups), 16))
    form = rng.random()
    if form < 0.55:
        return str(addr)
    if form < 0.8:
        return addr.exploded
    return ":".join(f"{g:x}" for g in groups)


def _iban_numeric(s: str) -> int:
    return int("".join(str(int(c, 36)) for c in s))


def _iban_ok(iban: str) -> bool:
    s = iban.replace(" ", "")
    return len(s) >= 15 and s[:2].isalpha() and s[2:4].isdigit() and _iban_numeric(s[4:] + s[:4]) % 97 == 1


def _es_dc(ten: str) -> str:
    w = (1, 2, 4, 8, 5, 10, 9, 7, 3, 6)
    d = 11 - sum(int(c) * k for c, k in zip(ten, w, strict=True)) % 11
    return "0" if d == 11 else "1" if d == 10 else str(d)


_CIN_ODD = (1, 0, 5, 7, 9, 13, 15, 17, 19, 21)


def _it_cin(abi_cab_conto: str) -> str:
    total = sum(_CIN_ODD[int(c)] if i % 2 == 0 else int(c) for i, c in enumerate(abi_cab_conto))
    return string.ascii_uppercase[total % 26]


def _bban(rng: random.Random, country: str) -> str:
    if country == "DE":
        return str(rng.randint(1, 8)) + _digits(rng, 7) + _digits(rng, 10)
    if country == "GB":
        bank = rng.choice(("NWBK", "BARC", "LOYD", "HBUK", "MIDL", "MONZ", "SRLG", "CITI"))
        return bank + _digits(rng, 6) + _digits(rng, 8)
    if country == "FR":
        bank, branch, acct = _digits(rng, 5), _digits(rng, 5), _digits(rng, 11)
        key = 97 - (89 * int(bank) + 15 * int(branch) + 3 * int(acct)) % 97
        return f"{bank}{branch}{acct}{key:02d}"
    if country == "NL":
        return rng.choice(("ABNA", "INGB", "RABO", "SNSB", "TRIO", "KNAB", "BUNQ", "ASNB")) + _digits(rng, 10)
    if country == "ES":
        bank, branch, acct = _digits(rng, 4), _digits(rng, 4), _digits(rng, 10)
        return bank + branch + _es_dc("00" + bank + branch) + _es_dc(acct) + acct
    if country == "IT":
        rest = _digits(rng, 22)
        return _it_cin(rest) + rest
    if country == "BE":
        ten = _digits(rng, 10)
        check = int(ten) % 97 or 97
        return f"{ten}{check:02d}"
    if country == "CH":
        return "00" + _digits(rng, 3) + _digits(rng, 12)
    if country == "AT":
        return _digits(rng, 16)
    if country == "PL":
        return _digits(rng, 24)
    if country == "SE":
        return _digits(rng, 20)
    if country == "PT":
        return "00" + _digits(rng, 19)
    if country == "BR":
        return _digits(rng, 23) + rng.choice("CP") + rng.choice("12")
    raise AssertionError(country)


_IBAN_LENGTHS = {"DE": 22, "GB": 22, "FR": 27, "NL": 18, "ES": 24, "IT": 27, "BE": 16, "CH": 21, "AT": 20,
                "PL": 28, "SE": 24, "PT": 25, "BR": 29}


def _iban(rng: random.Random, loc: _Locale) -> str:
    country = rng.choice(loc.ibans)
    bban = _bban(rng, country)
    check = 98 - _iban_numeric(bban + country + "00") % 97
    iban = f"{country}{check:02d}{bban}"
    if len(iban) != _IBAN_LENGTHS[country] or not _iban_ok(iban):
        _fail(f"bad IBAN {iban}")
    if rng.random() < 0.5:
        return iban
    return " ".join(iban[i:i + 4] for i in range(0, len(iban), 4))


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _jwt(rng: random.Random) -> str:
    alg = rng.choice(("HS256", "RS256", "ES256"))
    header = json.dumps({"alg": alg, "typ": "JWT"}, separators=(",", ":"))
    iat = 1_735_689_600 + rng.randint(0, 40_000_000)
    payload = json.dumps({"sub": f"usr_{_chars(rng, string.ascii_lowercase + string.digits, 12)}",
                          "iat": iat, "exp": iat + 3600, "scope": rng.choice(("read", "read write", "admin"))},
                         separators=(",", ":"))
    sig = _b64url(rng.randbytes(256 if alg == "RS256" else 64 if alg == "ES256" else 32))
    return f"{_b64url(header.encode())}.{_b64url(payload.encode())}.{sig}"


def _pem(rng: random.Random) -> str:
    label = rng.choice(("RSA PRIVATE KEY", "RSA PRIVATE KEY", "PRIVATE KEY", "EC PRIVATE KEY"))
    if label == "EC PRIVATE KEY":
        der = b"\x30\x77\x02\x01\x01\x04\x20" + rng.randbytes(113)
    elif label == "PRIVATE KEY":
        der = bytes.fromhex("308204bd020100300d06092a864886f70d0101010500048204a7") + rng.randbytes(rng.randint(300, 900))
    else:
        der = b"\x30\x82\x04\xa4\x02\x01\x00\x02\x82\x01\x01\x00" + rng.randbytes(rng.randint(300, 900))
    body = base64.b64encode(der).decode()
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    return "\n".join([f"-----BEGIN {label}-----", *lines, f"-----END {label}-----"])


def _api_key(rng: random.Random, allow_pem: bool) -> _Slot:
    flavours = ["openai", "openai", "anthropic", "stripe", "aws", "github", "jwt", "bearer", "bearer"]
    if allow_pem:
        flavours += ["pem", "pem"]
    flavour = rng.choice(flavours)
    if flavour == "openai":
        r = rng.random()
        if r < 0.4:
            value = "sk-" + _chars(rng, _ALNUM, 48)
        elif r < 0.55:
            value = "sk-" + _chars(rng, _ALNUM, 20) + "T3BlbkFJ" + _chars(rng, _ALNUM, 20)
        else:
            value = "sk-proj-" + _chars(rng, _B64URL, rng.choice((48, 64, 156)))
    elif flavour == "anthropic":
        value = "sk-ant-api03-" + _chars(rng, _B64URL, 93) + "AA"
    elif flavour == "stripe":
        value = rng.choice(("sk_live_", "rk_live_", "sk_test_")) + _chars(rng, _ALNUM, rng.choice((24, 32, 99)))
    elif flavour == "aws":
        value = "AKIA" + _chars(rng, _UPPER_ALNUM, 16)
    elif flavour == "github":
        value = "ghp_" + _chars(rng, _ALNUM, 36)
    elif flavour == "jwt":
        value = _jwt(rng)
    elif flavour == "bearer":
        value = _jwt(rng) if rng.random() < 0.5 else _chars(rng, _ALNUM + "-._", rng.randint(32, 64))
        value = value.rstrip("-._")
        return _Slot("API_KEY", value, lead="Bearer ", flavour="bearer")
    else:
        value = _pem(rng)
    return _Slot("API_KEY", value, flavour=flavour)


def _dob(rng: random.Random, loc: _Locale, lang: str, structured: bool) -> str:
    d = date(1940, 1, 1) + timedelta(days=rng.randint(0, 24_100))
    months = _LANGS[lang].months
    month = months[d.month - 1]
    if structured and rng.random() < 0.7:
        return d.isoformat()
    if lang == "en" and loc.code == "en_US":
        forms = [f"{month} {d.day}, {d.year}", f"{d.month:02d}/{d.day:02d}/{d.year}", f"{d.month}/{d.day}/{d.year}",
                 d.isoformat()]
    elif lang == "en":
        forms = [f"{d.day:02d}/{d.month:02d}/{d.year}", f"{d.day} {month} {d.year}", d.isoformat()]
    elif lang == "de":
        forms = [f"{d.day:02d}.{d.month:02d}.{d.year}", f"{d.day}. {month} {d.year}"]
    elif lang == "fr":
        forms = [f"{d.day:02d}/{d.month:02d}/{d.year}", f"{'1er' if d.day == 1 else d.day} {month} {d.year}"]
    elif lang in ("es", "pt"):
        forms = [f"{d.day:02d}/{d.month:02d}/{d.year}", f"{d.day} de {month} de {d.year}"]
    elif lang == "it":
        forms = [f"{d.day:02d}/{d.month:02d}/{d.year}", f"{d.day} {month} {d.year}"]
    else:
        forms = [f"{d.day:02d}-{d.month:02d}-{d.year}", f"{d.day} {month} {d.year}"]
    return rng.choice(forms)


def _postcode(rng: random.Random, city: _City) -> int:
    return city.lo + city.step * rng.randint(0, (city.hi - city.lo) // city.step)


def _address(rng: random.Random, loc: _Locale) -> str:
    street = rng.choice(loc.streets)
    city = rng.choice(loc.cities)
    code = loc.code
    if code == "en_US":
        unit = rng.choice(("", "", "", f", Apt {rng.randint(1, 40)}{rng.choice('ABCD')}",
                           f", Suite {rng.randint(100, 950)}", f" #{rng.randint(2, 30)}"))
        return f"{rng.randint(1, 9899)} {street}{unit}, {city.name}, {city.extra} {_postcode(rng, city):05d}"
    if code == "en_GB":
        letters = "ABDEFGHJLNPQRSTUWXYZ"
        pc = f"{rng.choice(city.extra.split())} {rng.randint(1, 9)}{rng.choice(letters)}{rng.choice(letters)}"
        flat = f"Flat {rng.randint(1, 24)}, " if rng.random() < 0.2 else ""
        return f"{flat}{rng.randint(1, 240)} {street}, {city.name} {pc}"
    if code == "de_DE":
        suffix = rng.choice(("", "", "", "", "a", "b"))
        return f"{street} {rng.randint(1, 160)}{suffix}, {_postcode(rng, city):05d} {city.name}"
    if code == "fr_FR":
        bis = rng.choice(("", "", "", "", " bis", " ter"))
        return f"{rng.randint(1, 180)}{bis} {street}, {_postcode(rng, city):05d} {city.name}"
    if code == "es_ES":
        cp = f"{_postcode(rng, city):05d}"
        if rng.random() < 0.5:
            return f"{street}, {rng.randint(1, 200)}, {cp} {city.name}"
        return f"{street} {rng.randint(1, 200)}, {rng.randint(1, 9)}º {rng.choice('ABCD')}, {cp} {city.name}"
    if code == "it_IT":
        cap = f"{_postcode(rng, city):05d}"
        if rng.random() < 0.5:
            return f"{street} {rng.randint(1, 220)}, {cap} {city.name} ({city.extra})"
        return f"{street}, {rng.randint(1, 220)} - {cap} {city.name}"
    if code == "nl_NL":
        letters = "ABCDEGHJKLMNPRSTVWXZ"
        pair = "SA"
        while pair in ("SA", "SD", "SS"):
            pair = rng.choice(letters) + rng.choice(letters)
        suffix = rng.choice(("", "", "", "A", "-2", " hs"))
        return f"{street} {rng.randint(1, 400)}{suffix}, {_postcode(rng, city)} {pair} {city.name}"
    if code == "pt_BR":
        cep = f"{_postcode(rng, city):05d}-{rng.randint(0, 999):03d}"
        compl = rng.choice(("", "", f", apto {rng.randint(11, 184)}", f" - bloco {rng.choice('ABC')}"))
        return f"{street}, {rng.randint(10, 3500)}{compl}, {city.name} - {city.extra}, {cep}"
    if code == "pl_PL":
        apt = f"/{rng.randint(1, 60)}" if rng.random() < 0.5 else ""
        return f"{street} {rng.randint(1, 120)}{apt}, {_postcode(rng, city):02d}-{rng.randint(1, 999):03d} {city.name}"
    if code == "sv_SE":
        letter = rng.choice(("", "", "", "A", "B"))
        return f"{street} {rng.randint(1, 90)}{letter}, {_postcode(rng, city)} {rng.randint(10, 99)} {city.name}"
    raise AssertionError(code)


def _slot(rng: random.Random, loc: _Locale, lang: str, type_: str, shape: str) -> _Slot:
    structured = shape in ("json", "csv", "log")
    if type_ == "EMAIL":
        return _Slot(type_, _email(rng, loc))
    if type_ == "PHONE":
        return _Slot(type_, _phone(rng, loc.region))
    if type_ == "CARD":
        return _Slot(type_, _card(rng))
    if type_ == "SSN":
        return _Slot(type_, _ssn(rng))
    if type_ == "IP":
        return _Slot(type_, _ipv4(rng) if rng.random() < 0.6 else _ipv6(rng))
    if type_ == "IBAN":
        return _Slot(type_, _iban(rng, loc))
    if type_ == "API_KEY":
        return _api_key(rng, allow_pem=shape in ("sentence", "chat", "markdown", "email"))
    if type_ == "DOB":
        return _Slot(type_, _dob(rng, loc, lang, structured))
    if type_ == "ADDRESS":
        return _Slot(type_, _address(rng, loc))
    if type_ == "PERSON":
        return _Slot(type_, _person(rng, loc))
    raise AssertionError(type_)


def _check_positive(sample: Sample, values: Sequence[str]) -> None:
    text = sample.text
    prev_end = -1
    for ent, value in zip(sample.entities, values, strict=True):
        if ent.type not in TYPES:
            _fail(f"unknown type {ent.type}")
        if text[ent.start:ent.end] != value:
            _fail(f"span {ent} holds {text[ent.start:ent.end]!r}, not {value!r}")
        if ent.start < prev_end:
            _fail(f"overlapping entities in {text!r}")
        prev_end = ent.end
    if sample.shape == "json":
        json.loads(text)
    if sample.shape == "csv":
        delim = ";" if text.split("\n", 1)[0].count(";") else ","
        rows = list(csv.reader(io.StringIO(text), delimiter=delim))
        if len(rows) != 2 or len(rows[0]) != len(rows[1]):
            _fail(f"bad CSV {text!r}")


def positives(seed: int = 7) -> list[Sample]:
    """1,400 labelled texts, 1-3 entities each, over 10 locales and 8 shapes."""
    rng = random.Random(seed)
    by_code = {loc.code: loc for loc in _LOCALE_LIST}
    out: list[Sample] = []
    for i in range(1400):
        primary = TYPES[i % len(TYPES)]
        loc = by_code["en_US"] if primary == "SSN" else rng.choice(_LOCALE_LIST)
        lang = loc.lang if (loc.lang == "en" or rng.random() < 0.8) else "en"
        others = [t for t in TYPES if t != primary and (t != "SSN" or loc.code == "en_US")]
        n = rng.choices((1, 2, 3), weights=(4, 4, 2))[0]
        types = [primary, *rng.sample(others, n - 1)]
        rng.shuffle(types)
        if "PERSON" in types and rng.random() < 0.7:
            types.remove("PERSON")
            types.insert(0, "PERSON")
        shape = _SHAPES[rng.randrange(len(_SHAPES))]
        variant = "json_messages" if shape == "json" and rng.random() < 0.35 else shape
        slots = [_slot(rng, loc, lang, t, variant) for t in types]
        b = _Builder()
        _RENDER[variant](b, rng, _LANGS[lang], slots)
        spans = sorted(b.spans, key=lambda s: s[1])
        sample = Sample(b.text(), tuple(Entity(t, s, e) for t, s, e, _ in spans), loc.code, shape)
        _check_positive(sample, [v for *_, v in spans])
        out.append(sample)
    return out


# --------------------------------------------------------------------------------------------------------------
# Hard negatives

_PHONE_RUN = re.compile(r"\d{7,}")
_DIGIT_RUN = re.compile(r"\d+")
_GROUPED_RUN = re.compile(r"\d+(?:[ -]\d+)+")
_IBAN_CAND = re.compile(r"(?=([A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,32}))")
_DOTTED = re.compile(r"(?<![\d.])\d+(?:\.\d+)+(?![\d.]*\d)")
_QUAD_OK_BEFORE = re.compile(r"(?:\bversion|\bbuild|\bfirmware|\bv)\s?$", re.IGNORECASE)
_BIRTH_WORDS = re.compile(r"born|birth|\bdob\b|geboren|naissance|\bnée?\b|nacimiento|nascita|nascimento|geboorte",
                          re.IGNORECASE)


def _valid_phone(candidate: str, region: str | None) -> bool:
    try:
        return phonenumbers.is_valid_number(phonenumbers.parse(candidate, region))
    except NumberParseException:
        return False


def _pii_in_negative(text: str) -> str:
    """Why ``text`` would not be a clean hard negative ("" when it is clean)."""
    if "@" in text:
        return "@"
    if _BIRTH_WORDS.search(text):
        return "birth context"
    grouped = [re.sub(r"\D", "", m.group()) for m in _GROUPED_RUN.finditer(text)]
    for run in [m.group() for m in _PHONE_RUN.finditer(text)] + grouped:
        if len(run) >= 7 and (_valid_phone(run, "US") or _valid_phone("+" + run, None)):
            return f"phone {run}"
    for _ in phonenumbers.PhoneNumberMatcher(text, "US", leniency=Leniency.VALID):
        return "phone (matcher)"
    runs = [m.group() for m in _DIGIT_RUN.finditer(text)]
    runs += grouped
    for run in runs:
        if 13 <= len(run) <= 19 and _luhn_ok(run):
            return f"luhn {run}"
    for m in _IBAN_CAND.finditer(text):
        s = m.group(1).replace(" ", "")
        for n in range(15, len(s) + 1):
            if _iban_ok(s[:n]):
                return f"iban {s[:n]}"
    for m in _DOTTED.finditer(text):
        parts = m.group().split(".")
        if len(parts) == 4 and all(int(p) <= 255 for p in parts) and not _QUAD_OK_BEFORE.search(text[:m.start()]):
            return f"dotted quad {m.group()}"
    for token in re.findall(r"[0-9A-Fa-f:]*::?[0-9A-Fa-f:]+", text):
        try:
            ipaddress.IPv6Address(token)
        except ValueError:
            continue
        return f"ipv6 {token}"
    return ""


def _year(rng: random.Random) -> int:
    return rng.randint(2023, 2027)


def _recent(rng: random.Random) -> date:
    return date(2024, 1, 1) + timedelta(days=rng.randint(0, 1300))


def _neg_order(rng: random.Random) -> tuple[str, str]:
    r = rng.randrange(5)
    if r == 0:
        v = f"#{rng.choice(string.ascii_uppercase)}-{_year(rng)}-{rng.randint(0, 999999):06d}"
    elif r == 1:
        v = str(rng.randint(100_000_000, 999_999_999))
    elif r == 2:
        v = "ORD-" + _chars(rng, _UPPER_ALNUM, 8)
    elif r == 3:
        v = f"{rng.randint(100, 999)}-{rng.randint(1_000_000, 9_999_999)}-{rng.randint(1_000_000, 9_999_999)}"
    else:
        v = f"#{rng.randint(1000, 99999)}"
    if rng.random() < 0.2:
        return rng.choice(("Bestellung {} wurde versandt.", "Ihre Bestellnummer lautet {}.")).format(v), "de_DE"
    return rng.choice(("Your order {} has shipped.", "Order {} was cancelled by the warehouse.",
                       "Refund issued for order {}.", "Customer asked where order {} is.",
                       "order_id={} status=packed")).format(v), "en_US"


_PACKAGES = ("numpy", "pydantic", "fastapi", "requests", "httpx", "torch", "openai", "anthropic", "duckdb", "uvicorn")


def _semver(rng: random.Random) -> str:
    return f"{rng.randint(0, 30)}.{rng.randint(0, 40)}.{rng.randint(0, 25)}"


def _neg_version(rng: random.Random) -> tuple[str, str]:
    r = rng.randrange(6)
    if r == 0:
        v = f"Python 3.{rng.randint(8, 13)}.{rng.randint(0, 12)}"
    elif r == 1:
        v = f"v{_semver(rng)}-{rng.choice(('rc', 'beta', 'alpha'))}.{rng.randint(1, 5)}"
    elif r == 2:
        v = f"{rng.choice(_PACKAGES)}=={_semver(rng)}"
    elif r == 3:
        v = f"node v{rng.randint(16, 22)}.{rng.randint(0, 20)}.{rng.randint(0, 9)}"
    elif r == 4:
        v = f"{rng.choice(_PACKAGES)} {_semver(rng)}"
    else:
        v = f"Ubuntu {rng.choice(('20.04', '22.04', '24.04'))}.{rng.randint(1, 6)} LTS"
    return rng.choice(("Upgraded to {} and the tests pass.", "The image ships {}.", "Pinned {} in the lock file.",
                       "Running on {}.", "Regression introduced in {}.")).format(v), "en_US"


def _neg_build(rng: random.Random) -> tuple[str, str]:
    r = rng.randrange(5)
    if r == 0:
        v = f"build 10.0.{rng.choice((19041, 19044, 19045, 22000, 22621, 22631))}.{rng.randint(1000, 4500)}"
    elif r == 1:
        v = f"version {rng.randint(1, 9)}.{rng.randint(0, 20)}.{rng.randint(0, 20)}.{rng.randint(0, 250)}"
    elif r == 2:
        v = f"firmware {rng.randint(1, 9)}.{rng.randint(0, 9)}.{rng.randint(0, 9)}.{rng.randint(0, 99)}"
    elif r == 3:
        v = f"v{rng.randint(1, 12)}.{rng.randint(0, 30)}.{rng.randint(0, 30)}.{rng.randint(0, 200)}"
    else:
        v = f"Chrome/{rng.randint(110, 131)}.0.{rng.randint(5000, 6800)}.{rng.randint(10, 220)}"
    return rng.choice(("Installed {} on the test rig.", "Device reports {} after the update.",
                       "Crash seen on {} only.", "Please confirm you are on {}.")).format(v), "en_US"


def _neg_uuid(rng: random.Random) -> tuple[str, str]:
    u = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    if rng.random() < 0.2:
        u = u.upper()
    return rng.choice(("request_id={} finished", "Trace {} not found.", "Session {} expired.",
                       "Idempotency-Key: {}", "Job {} queued for retry.")).format(u), "en_US"


def _neg_timestamp(rng: random.Random) -> tuple[str, str]:
    d = _recent(rng)
    hms = f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}"
    v = rng.choice((f"{d.isoformat()}T{hms}Z", f"{d.isoformat()}T{hms}.{rng.randint(0, 999):03d}Z",
                    f"{d.isoformat()}T{hms}+0{rng.randint(1, 2)}:00", f"{d.isoformat()} {hms} UTC"))
    return rng.choice(("Job finished at {}.", "last_seen={}", "Backup completed {}.",
                       "Certificate renewed at {}.")).format(v), "en_US"


def _neg_date(rng: random.Random) -> tuple[str, str]:
    d = _recent(rng)
    r = rng.randrange(5)
    if r == 0:
        return f"Parcel shipped on {d.isoformat()}.", "en_US"
    if r == 1:
        return f"Team meeting {d.day:02d}/{d.month:02d}/{d.year} in room 4.", "en_GB"
    if r == 2:
        return f"Invoice due {d.month:02d}/{d.day:02d}/{d.year}.", "en_US"
    if r == 3:
        return f"Die Lieferung ist für den {d.day:02d}.{d.month:02d}.{d.year} geplant.", "de_DE"
    return f"Livraison prévue le {d.day:02d}/{d.month:02d}/{d.year}.", "fr_FR"


def _grouped_thousands(n: int, sep: str) -> str:
    return f"{n:,}".replace(",", sep)


def _neg_price(rng: random.Random) -> tuple[str, str]:
    n, c = rng.randint(1, 99_999), rng.randint(0, 99)
    r = rng.randrange(6)
    if r == 0:
        return f"Total: ${_grouped_thousands(n, ',')}.{c:02d}", "en_US"
    if r == 1:
        return f"Gesamtbetrag: € {_grouped_thousands(n, '.')},{c:02d}", "de_DE"
    if r == 2:
        return f"Priset är {_grouped_thousands(n, ' ')},{c:02d} kr", "sv_SE"
    if r == 3:
        return f"The plan costs £{rng.randint(5, 499)}.{c:02d} per month.", "en_GB"
    if r == 4:
        return f"Valor total: R$ {_grouped_thousands(n, '.')},{c:02d}", "pt_BR"
    return f"Refund of {_grouped_thousands(n, ',')}.{c:02d} USD approved.", "en_US"


def _neg_non_luhn(rng: random.Random) -> tuple[str, str]:
    body = rng.choice("3456") + _digits(rng, 14)
    bad = rng.choice([d for d in string.digits if d != _luhn_digit(body)])
    v = body + bad
    if rng.random() < 0.5:
        v = rng.choice((" ", "-")).join(v[i:i + 4] for i in range(0, 16, 4))
    return rng.choice(("Batch reference {} was reconciled.", "Parcel manifest {} uploaded.",
                       "Ledger entry {} imported.", "Serial no. {}", "Meter reading id {}")).format(v), "en_US"


def _neg_git(rng: random.Random) -> tuple[str, str]:
    sha = _chars(rng, "0123456789abcdef", 40)
    v = sha[:7] if rng.random() < 0.5 else sha
    return rng.choice(("Fixed in commit {}.", "Deployed {} to staging.", "git revert {}",
                       "HEAD is now at {} after the rebase.", "Bisect points at {}.")).format(v), "en_US"


def _ups_check(body: str) -> str:
    total = 0
    for i, ch in enumerate(body):
        d = int(ch) if ch.isdigit() else (ord(ch) - 63) % 10
        total += d * 2 if i % 2 else d
    return str((10 - total % 10) % 10)


def _neg_tracking(rng: random.Random) -> tuple[str, str]:
    r = rng.randrange(4)
    if r == 0:
        body = _chars(rng, _UPPER_ALNUM, 6) + rng.choice(("01", "02", "03", "12", "13")) + _digits(rng, 7)
        v = "1Z" + body + _ups_check(body)
    elif r == 1:
        v = str(rng.randint(1, 9)) + _digits(rng, rng.choice((11, 14)))
    elif r == 2:
        v = rng.choice(("9400", "9205", "9361")) + _digits(rng, rng.choice((16, 18)))
        if rng.random() < 0.5:
            v = " ".join(v[i:i + 4] for i in range(0, len(v), 4))
    else:
        v = str(rng.randint(1, 9)) + _digits(rng, rng.randint(11, 21))
    return rng.choice(("Tracking number: {}", "Your parcel {} is out for delivery.",
                       "Carrier scan for {} shows a delay.", "Label {} printed.")).format(v), "en_US"


def _neg_http(rng: random.Random) -> tuple[str, str]:
    code, reason = rng.choice(((503, "Service Unavailable"), (404, "Not Found"), (502, "Bad Gateway"),
                               (429, "Too Many Requests"), (500, "Internal Server Error"), (401, "Unauthorized")))
    return rng.choice((f"Upstream answered HTTP {code}.", f"status={code} path=/v1/chat/completions",
                       f"HTTP/1.1 {code} {reason}", f"The call returned {code} {reason} twice.")), "en_US"


def _neg_duration(rng: random.Random) -> tuple[str, str]:
    ms = rng.randint(3, 98_000)
    return rng.choice((f"Request took {ms} ms.", f"latency={ms}ms", f"elapsed {ms / 1000:.1f} s",
                       f"p95 latency is {ms / 1000:.2f}s this week.")), "en_US"


def _neg_percent(rng: random.Random) -> tuple[str, str]:
    p = rng.randint(0, 1000) / 10
    if rng.random() < 0.2:
        return f"Le taux d'erreur est de {p:.1f} %.".replace(".", ",", 1), "fr_FR"
    return rng.choice((f"CPU at {p}% on the worker.", f"Conversion up {p:.0f}% week over week.",
                       f"Cache hit rate: {p}%")), "en_US"


def _neg_coords(rng: random.Random) -> tuple[str, str]:
    lat, lon = rng.uniform(-60, 70), rng.uniform(-170, 170)
    return rng.choice((f"Depot centroid at {lat:.6f}, {lon:.6f}.", f"tile center lat={lat:.4f} lon={lon:.4f}",
                       f"Weather station grid point {lat:.3f},{lon:.3f}")), "en_US"


def _neg_semver_range(rng: random.Random) -> tuple[str, str]:
    a, b = rng.randint(0, 9), rng.randint(0, 30)
    v = rng.choice((f">={a}.{b}.0,<{a + 1}.0.0", f"^{a}.{b}.{rng.randint(0, 30)}", f"~={a}.{b}",
                    f"~{a}.{b}.0", f">={a}.{b}, <{a}.{b + 3}"))
    return rng.choice((f'"{rng.choice(_PACKAGES)}": "{v}"', f"Dependency constraint {v} resolved.",
                       f"requires {rng.choice(_PACKAGES)} {v}")), "en_US"


def _neg_hex_color(rng: random.Random) -> tuple[str, str]:
    v = "#" + _chars(rng, "0123456789abcdef", rng.choice((3, 6, 6, 8)))
    if rng.random() < 0.3:
        v = v.upper()
    return rng.choice((f"Primary button color {v}.", f"--accent: {v};", f"Use {v} for the chart line.")), "en_US"


def _neg_file_size(rng: random.Random) -> tuple[str, str]:
    v = rng.choice((f"{rng.randint(1, 999) / 10} GB", f"{rng.randint(1, 1024)} KiB", f"{rng.randint(1, 99)}.{rng.randint(0, 9)} MB",
                    f"{_grouped_thousands(rng.randint(1000, 9_999_999), ',')} bytes", f"{rng.randint(10, 990)}M"))
    return rng.choice((f"Upload of {v} finished.", f"The parquet file is {v}.", f"Disk usage grew by {v}.")), "en_US"


def _neg_port(rng: random.Random) -> tuple[str, str]:
    p = rng.choice((80, 443, 3000, 5432, 6379, 8000, 8080, 8443, 9090, 4317, 4318, 27017))
    return rng.choice((f"Server listening on localhost:{p}.", f"Postgres on port {p} refused the connection.",
                       f"Open http://localhost:{p}/api in the browser.", f"Expose :{p} in the compose file.")), "en_US"


def _neg_ticket(rng: random.Random) -> tuple[str, str]:
    v = rng.choice((f"JIRA-{rng.randint(10, 9999)}", f"PROJ-{rng.randint(1, 999)}", f"INC{rng.randint(0, 99999):07d}",
                    f"#{rng.randint(100, 9999)}", f"SUP-{rng.randint(1000, 99999)}"))
    return rng.choice((f"Tracked in {v}.", f"Closing {v} as a duplicate.", f"See {v} for the repro steps.")), "en_US"


def _isbn13(rng: random.Random) -> str:
    body = rng.choice(("978", "979")) + _digits(rng, 9)
    check = (10 - sum(int(c) * (1 if i % 2 == 0 else 3) for i, c in enumerate(body)) % 10) % 10
    d = body + str(check)
    g = rng.randint(1, 2)
    p = rng.randint(2, 5)
    return "-".join((d[:3], d[3:3 + g], d[3 + g:3 + g + p], d[3 + g + p:12], d[12]))


def _isbn10(rng: random.Random) -> str:
    body = _digits(rng, 9)
    check = (11 - sum(int(c) * (10 - i) for i, c in enumerate(body)) % 11) % 11
    d = body + ("X" if check == 10 else str(check))
    return "-".join((d[0], d[1:4], d[4:9], d[9]))


def _neg_isbn(rng: random.Random) -> tuple[str, str]:
    v = _isbn13(rng) if rng.random() < 0.7 else _isbn10(rng)
    return rng.choice((f"ISBN {v}", f"The reading list adds ISBN {v}.", f"isbn: {v}")), "en_US"


def _neg_invoice(rng: random.Random) -> tuple[str, str]:
    y = _year(rng)
    r = rng.randrange(4)
    if r == 0:
        return f"Invoice INV-{y}-{rng.randint(1, 99999):05d} is overdue.", "en_US"
    if r == 1:
        return f"Rechnung RE-{y}-{rng.randint(1, 9999):04d} wurde bezahlt.", "de_DE"
    if r == 2:
        return f"Facture F{y}-{rng.randint(1, 99999):05d} envoyée.", "fr_FR"
    return f"Invoice #{rng.randint(1000, 99999)} attached.", "en_US"


def _neg_time(rng: random.Random) -> tuple[str, str]:
    h, m, s = rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59)
    return rng.choice((f"Stand-up moved to {h:02d}:{m:02d}.", f"Clip marker at {h:02d}:{m:02d}:{s:02d}.",
                       f"elapsed 00:{m:02d}:{s:02d}.{rng.randint(0, 999):03d}", f"Cron runs daily at {h:02d}:00 CET.")), "en_US"


def _neg_model(rng: random.Random) -> tuple[str, str]:
    d = _recent(rng)
    v = rng.choice((f"gpt-4o-{d.isoformat()}", f"claude-3-5-sonnet-{d.strftime('%Y%m%d')}",
                    f"gemini-1.5-pro-00{rng.randint(1, 2)}", f"llama-3.1-{rng.choice((8, 70, 405))}b-instruct",
                    f"mistral-large-{d.strftime('%y%m')}"))
    return rng.choice((f"Switched the default model to {v}.", f"model={v} tokens_in={rng.randint(10, 9000)}",
                       f"Evaluated {v} on the regression suite.")), "en_US"


def _neg_trace(rng: random.Random) -> tuple[str, str]:
    trace, span = _chars(rng, "0123456789abcdef", 32), _chars(rng, "0123456789abcdef", 16)
    return rng.choice((f"trace_id={trace} span_id={span}", f"traceparent: 00-{trace}-{span}-01",
                       f"Open trace {trace} in the UI.")), "en_US"


def _neg_tokens(rng: random.Random) -> tuple[str, str]:
    p, c = rng.randint(10, 120_000), rng.randint(1, 8000)
    return rng.choice((f"prompt_tokens={p} completion_tokens={c}", f"Used {_grouped_thousands(p, ',')} tokens.",
                       f"context window {rng.choice((8, 32, 128, 200))}k, output {c} tokens")), "en_US"


_NEGATIVES: dict[str, Callable[[random.Random], tuple[str, str]]] = {
    "order_number": _neg_order, "version": _neg_version, "build_number": _neg_build, "uuid": _neg_uuid,
    "timestamp": _neg_timestamp, "date": _neg_date, "price": _neg_price, "non_luhn_16": _neg_non_luhn,
    "git_sha": _neg_git, "tracking_number": _neg_tracking, "http_status": _neg_http, "duration": _neg_duration,
    "percentage": _neg_percent, "coordinates": _neg_coords, "semver_range": _neg_semver_range,
    "hex_color": _neg_hex_color, "file_size": _neg_file_size, "port": _neg_port, "ticket_id": _neg_ticket,
    "isbn": _neg_isbn, "invoice_number": _neg_invoice, "time_of_day": _neg_time, "model_name": _neg_model,
    "trace_id": _neg_trace, "token_usage": _neg_tokens,
}
_NEGATIVE_KINDS = tuple(_NEGATIVES)
_NEG_SHAPES = ("sentence", "log", "json", "chat", "markdown")


def _wrap_negative(rng: random.Random, core: str, shape: str) -> str:
    if shape == "log":
        return f"{_timestamp(rng)} {rng.choice(('INFO', 'WARN', 'DEBUG'))} {rng.choice(_LOGGERS)} {core}"
    if shape == "json":
        if rng.random() < 0.5:
            return json.dumps({"level": "info", "msg": core}, ensure_ascii=False)
        return json.dumps({"role": "user", "content": core}, ensure_ascii=False)
    if shape == "chat":
        return f"User: {core}\nAssistant: {rng.choice(('Thanks, noted.', 'Got it.', 'OK, I will take a look.'))}"
    if shape == "markdown":
        return f"- {core}" if rng.random() < 0.5 else f"> {core}"
    return core


def hard_negatives(seed: int = 11) -> list[Sample]:
    """750 texts (30 per kind) that look like PII but hold none."""
    rng = random.Random(seed)
    out: list[Sample] = []
    for kind, make in _NEGATIVES.items():
        for _ in range(30):
            for _attempt in range(200):
                core, locale = make(rng)
                if rng.random() < 0.3:
                    core = f"{core} {make(rng)[0]}"
                shape = _NEG_SHAPES[rng.randrange(len(_NEG_SHAPES))]
                text = _wrap_negative(rng, core, shape)
                if not _pii_in_negative(text):
                    break
            else:
                raise AssertionError(f"no clean {kind} negative after 200 attempts")
            out.append(Sample(text, (), locale, shape, kind))
    return out
